"""When is the user done? Decisions only: the conversation thread asks after each frame and
when the end-of-turn model answers, and acts on what it hears.

- "silence" (and whenever the model is missing): the turn ends after `vad.end_silence_ms`
  of silence, as the endpointer decides on its own.
- "smart": the endpointer's silence limit becomes `turn.max_silence_ms`, a fallback. At each
  pause of `turn.check_silence_ms` the model hears the turn so far (on its own thread); when
  it is sure enough (`turn.threshold`) that the sentence is complete, the turn ends at once.
  When it is not, the turn stays open: the user is thinking, and nothing is said over them
  (a speculative reply stays held). It is asked again at the next pause, not again in the
  same one: the longer a silence, the more the model takes it for an ending (on labelled real
  recordings its precision fell from 0.81 at 160 ms into the pause to 0.57 at 300 ms), so a
  second look would mostly undo the first.

The words heard so far are a second opinion, in English: a sentence does not end on an
article, a preposition like "of", a conjunction or a hesitation ("um"), and Whisper writes
"..." where a voice trails off. When the model says "complete" but the words say "not
done", the turn ends after UNSURE_SILENCE_MS of silence instead of at once (or of the full
silence limit): long enough for a thinking pause, short enough for a question that really
ended there.
"""

from __future__ import annotations

from assistant.config import TurnSettings, VadSettings
from assistant.conversation.turns import Turn

# Words an English sentence does not end on: the speaker is in the middle of a phrase. Kept to
# words that rarely close a question or a request ("what is it", "turn it on", "I think so"
# all end well, so "it", "on" and "so" are not here).
DANGLING = {"en": frozenset("""a an the to of for with from into and or but because if than
    my your our their its what um uh er erm uhm hmm""".split())}
TRAILING_OFF = ("...", "…")
UNSURE_SILENCE_MS = 1000

class EndOfTurn:
    def __init__(self, settings: TurnSettings, vad: VadSettings, has_model: bool,
                 language: str = "en"):
        self.settings = settings  # read live
        self.vad = vad
        self.has_model = has_model
        self.dangling = DANGLING.get(language.lower().replace("_", "-").split("-")[0],
                                     frozenset())
        self.hold_ms: int | None = None  # a shorter limit for the open turn (see above)

    @property
    def smart(self) -> bool:
        return self.has_model and self.settings.detector == "smart"

    def silence_limit_ms(self) -> int:
        """How long a silence ends the turn on its own (the model may end it sooner)."""
        if not self.smart:
            return self.vad.end_silence_ms
        return self.hold_ms if self.hold_ms is not None else self.settings.max_silence_ms

    def wants_verdict(self, turn: Turn | None, silence_ms: float) -> bool:
        """After a frame: ask the model now? Once per pause, at `check_silence_ms`."""
        if not self.smart or turn is None:
            return False
        if silence_ms == 0:
            turn.pause_asked = False  # talking again: the next pause is asked anew
            return False
        if silence_ms < self.settings.check_silence_ms or turn.pause_asked:
            return False
        turn.pause_asked = True
        return True

    def complete(self, probability: float) -> bool:
        return probability >= self.settings.threshold

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

    def hold_silence_ms(self) -> int:
        """How long a silence ends a turn the model called complete on unfinished words."""
        return min(UNSURE_SILENCE_MS, self.settings.max_silence_ms)
