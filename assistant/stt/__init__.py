"""Speech recognition: one interface (`Recognizer`), two engines.

Vosk streams partial transcripts while the user speaks; Whisper gives the final transcript at
the end of the turn. `make_recognizer` picks one from the settings.
"""

from assistant.stt.base import Partial, Recognizer, Transcript
from assistant.stt.factory import make_recognizer

__all__ = ["Partial", "Recognizer", "Transcript", "make_recognizer"]
