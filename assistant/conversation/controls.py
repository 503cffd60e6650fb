"""What the person (or the app around the conversation) asks of it, as messages for the
conversation thread. Any thread may send them; only the conversation thread applies them, in
the order they were sent, so a Stop, a typed question and a barge-in never race."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.config import Settings


@dataclass(frozen=True)
class Press:
    """The talk key went down (push-to-talk; while a reply plays it also interrupts)."""

    t_ns: int


@dataclass(frozen=True)
class Release:
    t_ns: int


@dataclass(frozen=True)
class StopReply:
    """The Stop button: the reply ends now and no new one starts."""

    t_ns: int


@dataclass(frozen=True)
class TypedText:
    """A typed question: a turn with no speech."""

    text: str
    t_ns: int


@dataclass(frozen=True)
class NewSettings:
    """Settings for the running loop: a private copy, swapped in on the conversation thread
    and never written (endpointing, turn-taking, barge-in, the mode, the reply budget)."""

    settings: Settings


@dataclass(frozen=True)
class ClearHistory:
    """Forget the conversation so far."""


@dataclass(frozen=True)
class CancelTimer:
    """A timer's cancel button in the window."""

    timer_id: int
