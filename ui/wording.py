"""What the core says, worded for the window.

The core's messages are shared by the command line and the window; they name command-line
options (`--input-device`) and commands (`voice-assistant models download ID`), which a person
in the window cannot use. `for_window` puts the place in the window that does the same job in
their stead (Settings > Audio > Microphone); anything it has no place for stays as it was.
"""

from __future__ import annotations

import re

MIC = "Settings > Audio > Microphone"
SPEAKER = "Settings > Audio > Speaker"
STT_ENGINE = "Settings > Speech recognition > Engine"
STT_MODELS = "Settings > Speech recognition"
LLM_MODEL = "Settings > Language model > Model"
LLM_PAGE = "Settings > Language model"
VOICE_ENGINE = "Settings > Voice > Engine"
API_PORT = "Settings > Listening > API port"

# (pattern, replacement), applied in order; the specific phrasings before the bare options
REWRITES = [
    (r"choose (another|one) with --input-device", rf"choose \1 in {MIC}"),
    (r"choose (another|one) with --output-device", rf"choose \1 in {SPEAKER}"),
    (r"or choose --tts-engine piper", f"or choose Piper in {VOICE_ENGINE}"),
    (r"or use --engine whisper", f"or choose Whisper in {STT_ENGINE}"),
    (r"pass another --port", f"choose another in {API_PORT}"),
    (r"file with --llm-model", f"file in {LLM_MODEL}"),
    (r"(?:or )?pass the folder with --model", f"or add its folder in {STT_MODELS}"),
    (r"give its folder with --model", f"add its folder in {STT_MODELS}"),
    # a speech model to download: the Download… button next to its field does it
    (r"Run:? `?voice-assistant models download ((?:vosk|whisper)-[\w.-]*\w)`?",
     rf"Download \1 in {STT_MODELS} (Download…)"),
    (r"run:? `?voice-assistant models download ((?:vosk|whisper)-[\w.-]*\w)`?",
     rf"download \1 in {STT_MODELS} (Download…)"),
    # a language model (the message says LLM): the Download… button of its page
    (r"(LLM[^.;]*); run:? `?voice-assistant models download ([\w.-]*\w)`?",
     rf"\1; download \2 in {LLM_PAGE} (Download…)"),
    (r"with 'voice-assistant models download ((?:vosk|whisper)-[\w.-]*\w)'",
     rf"(\1) in {STT_MODELS} (Download…)"),
    (r"with 'voice-assistant models download ID'", f"in {STT_MODELS} (Download…)"),
    (r"--input-device", MIC),
    (r"--output-device", SPEAKER),
]
_COMPILED = [(re.compile(pattern), replacement) for pattern, replacement in REWRITES]


def for_window(message: str) -> str:
    """`message` with the command-line options and speech-model commands it names replaced by
    the places in the window that do the same."""
    for pattern, replacement in _COMPILED:
        message = pattern.sub(replacement, message)
    return message
