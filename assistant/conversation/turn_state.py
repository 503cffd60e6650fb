"""The data of the turn machine (turn_machine.py): a turn's state, the messages that move it
and the actions it asks for. All frozen: a transition makes a new state, never changes one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Phase(enum.Enum):
    """Where the user's side of the turn is."""

    LISTENING = "listening"  # the user is talking
    PAUSED = "paused"  # silent inside the turn: a checkpoint or a verdict may be pending
    ENDED = "ended"  # the utterance is closed; its final words are being decoded
    DONE = "done"  # the words are known (or given up on): the turn is answered or dropped


class Reply(enum.Enum):
    """Where the turn's reply is."""

    NONE = "none"  # no reply yet
    HELD = "held"  # written speculatively before the turn ended: its audio is held back
    COMMITTED = "committed"  # the turn's answer: it plays as it comes
    PLAYING = "playing"  # its first sample went out
    FINISHED = "finished"  # played to the end, or cut off


@dataclass(frozen=True)
class TurnState:
    turn_id: int
    phase: Phase = Phase.LISTENING
    reply: Reply = Reply.NONE
    prefix: str = ""  # the words of the turn this one continues (resumed after a pause)
    over_reply: bool = False  # began while another reply played and did not win a barge-in
    speculative_text: str | None = None  # the words the held reply answers
    checkpoint_asked: bool = False  # in this pause
    verdict_asked: bool = False  # in this pause
    verdict_request: int = 0  # which pause the model was last asked about
    verdict_answered: int = 0  # the last pause whose verdict came back
    probability: float | None = None  # the latest verdict
    waiting_for_words: bool = False  # "complete" came before the pause's words
    hold_ms: int | None = None  # a shorter silence limit for this pause
    prefilled: str = ""  # the words the LLM has read ahead
    final_due_ns: int | None = None  # the final words are given up on at this time

    def spoken(self, text: str) -> str:
        """What the user said in this turn: with a turn it continues, those words first."""
        return f"{self.prefix} {text}".strip() if self.prefix else text.strip()

    @property
    def open(self) -> bool:
        return self.phase in (Phase.LISTENING, Phase.PAUSED)

    @property
    def verdict_pending(self) -> bool:
        return self.verdict_answered < self.verdict_request


# --- what the conversation tells the machine -------------------------------------------------


@dataclass(frozen=True)
class Heard:
    """What the listener knows of the open turn now."""

    silence_ms: float = 0.0  # 0 while the user talks
    words: str = ""  # the latest words of the utterance (partial or checkpoint)
    fresh_words: str = ""  # a streaming recognizer's words newer than the last checkpoint
    checkpoint_pending: bool = False
    others_replying: bool = False  # another turn's reply is being produced or played


@dataclass(frozen=True)
class Frame:
    """After a frame of the open turn went through the listener."""

    heard: Heard


@dataclass(frozen=True)
class SilenceEnded:
    """The endpointer has just closed the utterance on silence (before its final words)."""

    heard: Heard


@dataclass(frozen=True)
class PartialWords:
    text: str
    others_replying: bool = False


@dataclass(frozen=True)
class CheckpointWords:
    """The words so far with final quality, at a pause."""

    text: str
    heard: Heard


@dataclass(frozen=True)
class VerdictCame:
    request: int
    probability: float
    heard: Heard


@dataclass(frozen=True)
class UtteranceEnded:
    """The listener closed the utterance and asked for its final words."""

    reason: str  # "vad", "model", "ptt", "eof"
    now_ns: int


@dataclass(frozen=True)
class FinalWords:
    text: str


@dataclass(frozen=True)
class TalkKeyDown:
    """The talk key went down while the turn was open (push-to-talk takes it over)."""


@dataclass(frozen=True)
class WonBargeIn:
    """The turn's speech cut the reply it was heard over off: it counts. `prefix`: the words
    of the turn it resumes ("" for none)."""

    prefix: str = ""


@dataclass(frozen=True)
class Tick:
    now_ns: int


@dataclass(frozen=True)
class ReplyPlaying:
    """The reply's first sample went out."""


@dataclass(frozen=True)
class ReplyOver:
    """The reply played to its end, or was cut off (a barge-in, Stop, a new question)."""


# --- what the machine asks the conversation to do ------------------------------------------


@dataclass(frozen=True)
class AskCheckpoint:
    """Ask the recognizer for the words so far with final quality."""


@dataclass(frozen=True)
class AskVerdict:
    """Ask the end-of-turn model about this pause."""

    request: int


@dataclass(frozen=True)
class Prefill:
    """Let the LLM read ahead: `text` is all the words so far, `upto` the part it may read
    (all but the last word, which may still change)."""

    text: str
    upto: str


@dataclass(frozen=True)
class StartReply:
    text: str
    speculative: bool = False


@dataclass(frozen=True)
class CommitReply:
    """The held reply is the answer: let it out (and do a skill's action)."""


@dataclass(frozen=True)
class DiscardReply:
    """The held reply is wrong: throw it away everywhere."""


@dataclass(frozen=True)
class HoldTurn:
    """The user paused and is not done: say so (the window shows it), answer nothing."""

    probability: float


@dataclass(frozen=True)
class EndUtterance:
    """Close the utterance now, at its last voiced frame, and ask for its final words."""

    reason: str


@dataclass(frozen=True)
class SetUserText:
    text: str


@dataclass(frozen=True)
class DropTurn:
    """Speech heard over a reply that did not win a barge-in: not a turn."""


@dataclass(frozen=True)
class BackToListening:
    """Nothing to answer: say the assistant is listening again."""


@dataclass(frozen=True)
class WordsTimedOut:
    """The final words never came: tell the person, drop the utterance, go on."""

    waited_ms: float
