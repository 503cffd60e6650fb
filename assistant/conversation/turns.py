"""Bookkeeping of one conversation turn: its timeline, the reply as produced and as played,
and the floor: which turn the user is speaking and which one is being answered.

Only the conversation thread touches turns and the floor: the other threads report what
happened (with the time it happened) and the conversation thread writes it down here. When
the reply finishes playing (or is cut off) the turn becomes one record for the metrics and the
conversation log.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.clock import ms
from assistant.conversation.turn_state import TurnState
from assistant.metrics import TurnTimeline, playback_gaps_ms


@dataclass
class ChunkAudio:
    """One text chunk and how much audio it became."""

    index: int
    text: str
    n_samples: int = 0
    sample_rate: int = 22050
    t_play_ns: int | None = None  # when its first sample went out

    @property
    def duration_ns(self) -> int:
        return self.n_samples * 1_000_000_000 // max(self.sample_rate, 1)


@dataclass
class Turn:
    turn_id: int
    generation: int = 0
    user_text: str = ""
    source: str = "voice"  # "voice", "ptt", "text" or "timer" (a ring: no one spoke)
    barge_in: bool = False  # this turn's speech interrupted the previous reply
    verdicts: list = field(default_factory=list)  # (probability, inference ms) per answer
    end_reason: str = ""  # "model", "silence", "ptt", "eof" or "text"
    continues: "Turn | None" = field(default=None, repr=False)  # the turn resumed after a pause
    speculative_text: str | None = None  # the partial the LLM started on, before the final
    committed: bool = True  # False while a speculative reply may still be thrown away
    skill: object = None  # the SkillReply that answers it (assistant/skills), or None: the LLM
    reply_text: str = ""  # everything the LLM produced (set when it finished)
    written: list[str] = field(default_factory=list)  # its tokens so far, for a reply cut off
    chunks: dict[int, ChunkAudio] = field(default_factory=dict)
    interrupted: bool = False
    finished: bool = False
    t_onset_ns: int | None = None
    timeline: TurnTimeline = None  # type: ignore[assignment]
    # the turn machine's state of a spoken turn (turn_machine.py); None for a typed question
    # or a ring, which have no listening side
    state: TurnState | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.timeline is None:
            self.timeline = TurnTimeline(turn_id=self.turn_id)

    def played_text(self, t_silent_ns: int | None = None) -> str:
        """The reply as the user heard it: chunks that finished playing, and of the chunk that
        was cut off, the share of its words that matches the share of its audio played."""
        parts = []
        for chunk in sorted(self.chunks.values(), key=lambda c: c.index):
            if chunk.t_play_ns is None:
                break
            if t_silent_ns is None or chunk.duration_ns == 0:
                parts.append(chunk.text)
                continue
            played_ns = t_silent_ns - chunk.t_play_ns
            if played_ns >= chunk.duration_ns:
                parts.append(chunk.text)
                continue
            words = chunk.text.split()
            keep = int(len(words) * max(played_ns, 0) / chunk.duration_ns)
            if keep:
                parts.append(" ".join(words[:keep]))
            break
        return " ".join(parts).strip()

    def playback_gaps_ms(self) -> list[float]:
        """The silence added between the chunks that played (`metrics.playback_gaps_ms`)."""
        played = []
        for chunk in sorted(self.chunks.values(), key=lambda c: c.index):
            if chunk.t_play_ns is None:
                break
            played.append((chunk.t_play_ns, chunk.duration_ns))
        return playback_gaps_ms(played)

    def first_words_ms(self) -> float | None:
        """From the onset of speech to the first partial words shown (None: none came)."""
        shown = self.timeline.marks.get("first_words")
        if shown is None or self.t_onset_ns is None:
            return None
        return round(ms(max(shown - self.t_onset_ns, 0)), 1)

    def record(self, t0_ns: int = 0, t_silent_ns: int | None = None) -> dict:
        """The turn as written to the metrics JSON and the conversation log; times on the
        timeline that starts at `t0_ns` (the start of a replayed input file)."""
        timeline = self.timeline

        def rel(t):
            return None if t is None else round(ms(t - t0_ns), 1)

        return {
            "turn_id": self.turn_id,
            "source": self.source,
            "user_text": self.user_text,
            "reply_text": self.played_text(t_silent_ns if self.interrupted else None),
            "full_reply_text": self.reply_text or "".join(self.written).strip(),
            "skill": self.skill.skill if self.skill is not None else None,
            "interrupted": self.interrupted,
            "barge_in": self.barge_in,
            "continues_turn": self.continues.turn_id if self.continues is not None else None,
            "t_speech_start_ms": rel(self.t_onset_ns),
            "t_speech_end_ms": rel(timeline.speech_end),
            "t_first_audio_ms": rel(timeline.marks.get("first_played")),
            "v2v_ms": timeline.v2v_ms(),
            "first_words_ms": self.first_words_ms(),
            "stages_ms": timeline.stages_ms(),
            "playback_gaps_ms": self.playback_gaps_ms(),
            "end_of_turn": {
                "by": self.end_reason or None,
                "probability": self.verdicts[-1][0] if self.verdicts else None,
                "checks": len(self.verdicts),
                "inference_ms": [ms_ for _p, ms_ in self.verdicts],
            },
        }


KEEP_FINISHED = 50  # finished turns kept a while for late reports, not forever


class Floor:
    """Who has the floor. `generation` is the cancellation counter every stage compares its
    work against (reading an int is safe from any thread; only the conversation thread
    writes it)."""

    def __init__(self):
        self.generation = 0
        self.turns: dict[int, Turn] = {}
        self.listening: Turn | None = None  # the turn the user is speaking now
        self.replying: Turn | None = None  # the turn whose reply is in progress
        self._last_id = 0

    def next_id(self) -> int:
        """Take the next turn id (the listener takes one for each utterance it opens)."""
        self._last_id += 1
        return self._last_id

    def new_turn(self, source: str, turn_id: int | None = None) -> Turn:
        """A turn under `turn_id` (taken with `next_id`) or a new id."""
        turn = Turn(turn_id=self.next_id() if turn_id is None else turn_id, source=source)
        self.turns[turn.turn_id] = turn
        return turn

    def bump(self) -> int:
        self.generation += 1
        return self.generation

    def is_current(self, generation: int) -> bool:
        return generation == self.generation

    def turn(self, turn_id: int) -> Turn | None:
        return self.turns.get(turn_id)

    def drop(self, turn: Turn) -> None:
        self.turns.pop(turn.turn_id, None)
        if self.listening is turn:
            self.listening = None

    def forget_before(self, turn_id: int) -> None:
        for old in [t for t in self.turns if t < turn_id - KEEP_FINISHED]:
            del self.turns[old]
