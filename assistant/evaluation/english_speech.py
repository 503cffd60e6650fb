"""Whisper on real English speech with known words: the recordings in tests/fixtures (their
words in speech_clips.py), one utterance each.

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
from assistant.evaluation.speech_clips import FIXTURES, UTTERANCES, load_recording
from assistant.metrics import percentile

PREROLL_S, PAUSE_S = 0.3, 0.12  # the endpointer's pre-roll; the pause a checkpoint is taken at


def utterances() -> list[tuple[str, str, np.ndarray]]:
    """(name, words, float32 audio at 16 kHz) of every recording that is there."""
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
