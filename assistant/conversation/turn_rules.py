"""The rules a turn is decided by: a frozen snapshot of the settings that matter to it, taken
on the conversation thread when settings arrive, plus what the words say.

Nothing here changes while a decision is made: new settings become a new `Rules`, swapped in
between two inbox items (see `Conversation._on_control`).
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.config import Settings

# Words an English sentence does not end on: the speaker is in the middle of a phrase. Kept to
# words that rarely close a question or a request ("what is it", "turn it on", "I think so"
# all end well, so "it", "on" and "so" are not here).
DANGLING = {"en": frozenset("""a an the to of for with from into and or but because if than
    my your our their its what um uh er erm uhm hmm""".split())}
TRAILING_OFF = ("...", "…")
UNSURE_SILENCE_MS = 1000  # the wait after "complete" on words that stop mid-phrase


@dataclass(frozen=True)
class Rules:
    """Settings as the turn machine reads them (see turn_machine.py for what each does)."""

    smart: bool = False  # the end-of-turn model is asked at pauses
    end_silence_ms: int = 400  # without the model: this much silence ends the turn
    max_silence_ms: int = 1500  # with the model: the fallback
    check_silence_ms: int = 150  # with the model: when a pause is asked about
    threshold: float = 0.5  # the model's probability that counts as "complete"
    speculation: bool = True  # a reply may start at a short pause
    speculative_silence_ms: int = 120
    final_timeout_ms: int = 8000  # the final words' decode is given up after this
    dangling: frozenset = frozenset()

    @classmethod
    def from_settings(cls, settings: Settings, *, has_model: bool,
                      speculation: bool = True) -> "Rules":
        language = settings.stt.language.lower().replace("_", "-").split("-")[0]
        turn, conversation = settings.turn, settings.conversation
        return cls(smart=has_model and turn.detector == "smart",
                   end_silence_ms=settings.vad.end_silence_ms,
                   max_silence_ms=turn.max_silence_ms,
                   check_silence_ms=turn.check_silence_ms,
                   threshold=turn.threshold,
                   speculation=speculation and conversation.speculative_start,
                   speculative_silence_ms=conversation.speculative_silence_ms,
                   dangling=DANGLING.get(language, frozenset()))

    def complete(self, probability: float) -> bool:
        return probability >= self.threshold

    def hold_silence_ms(self) -> int:
        """How long a silence ends a turn the model called complete on unfinished words."""
        return min(UNSURE_SILENCE_MS, self.max_silence_ms)

    def words_unfinished(self, words: str) -> bool:
        """The words so far stop mid-phrase, or trail off. A question or exclamation mark from
        the recognizer (Whisper punctuates) ends the sentence, whatever its last word: "Which
        folder should I save it to?" is finished."""
        words = words.strip()
        if words.endswith(TRAILING_OFF):
            return True
        if words.endswith(("?", "!")):
            return False
        last = "".join(c for c in (words.split() or [""])[-1].lower() if c.isalpha())
        return last in self.dangling


def same_words(a: str, b: str) -> bool:
    """The same words, ignoring case, punctuation and spacing."""
    def norm(text):
        return " ".join("".join(c for c in text.lower() if c.isalnum() or c.isspace()).split())

    return norm(a) == norm(b)
