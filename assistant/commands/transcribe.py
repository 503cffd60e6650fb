"""The `transcribe` command: a file through the same listening stage the app uses.

Partial transcripts go to stderr with their time (ms from the start of the file) as they
appear; final transcripts go to stdout, one line per turn. `--json` writes every event as one
JSON object per line on stdout instead. Files are fed as fast as possible unless `--realtime`.
Speed and accuracy figures over many files come from the development tools:
`python -m assistant.evaluation.stt_measure --files ...`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from assistant.clock import NS_PER_MS


def add_arguments(parser) -> None:
    parser.add_argument("files", nargs="+", type=Path, metavar="IN.wav",
                        help="WAV or FLAC file(s) to transcribe")
    parser.add_argument("--engine", choices=["auto", "vosk", "whisper"],
                        help="speech recognizer (default: the setting, normally auto)")
    parser.add_argument("--model", type=Path, metavar="PATH", help="model folder to use")
    parser.add_argument("--language", metavar="LANG", help="language code, e.g. en or ko")
    parser.add_argument("--json", action="store_true", help="every event as JSON lines on stdout")
    parser.add_argument("--realtime", action="store_true", help="feed the audio in real time")
    parser.add_argument("--end-silence-ms", type=int, metavar="MS",
                        help="silence that ends a turn (default: the setting)")


def event_json(path, t0_ns: int, event, utterance_start_ns: int) -> dict:
    """One event as a JSON-able dict; times in ms from the start of the file."""
    def at(t_ns: int) -> float:
        return round((t_ns - t0_ns) / NS_PER_MS, 1)

    kind = type(event).__name__
    out = {"file": str(path), "turn_id": event.turn_id, "t_ms": at(event.t_ns)}
    if kind == "SpeechStarted":
        out |= {"type": "speech_started", "onset_ms": at(event.t_onset_ns)}
    elif kind == "PartialTranscript":
        out |= {"type": "partial", "text": event.text, "stable_text": event.stable_text}
    elif kind == "SpeechEnded":
        out |= {"type": "speech_ended", "true_end_ms": at(event.t_true_end_ns), "reason": event.reason}
    elif kind == "FinalTranscript":
        base = at(utterance_start_ns)
        out |= {"type": "final", "text": event.text, "engine": event.engine, "words": [
            {"word": w.word, "start_ms": round(base + w.start_s * 1000, 1),
             "end_ms": round(base + w.end_s * 1000, 1), "confidence": round(w.confidence, 3)}
            for w in event.words]}
    else:
        out["type"] = kind
    return {"type": out.pop("type"), **out}


def run(args, settings) -> int:
    from assistant.audio.audio_file import audio_file_info
    from assistant.conversation.file_feed import feed_file
    from assistant.conversation.listener import Listener
    from assistant.stt.factory import make_recognizer
    from assistant.told_once import first_time

    for path in args.files:  # fail on a bad file before loading any model
        audio_file_info(path)
    if args.language:
        settings.stt.language = args.language
    if args.end_silence_ms:
        settings.vad.end_silence_ms = args.end_silence_ms

    def notify(message: str) -> None:  # the Vosk notice: only the first time
        if first_time(message):
            print(f"note: {message}", file=sys.stderr)

    recognizer = make_recognizer(settings, notify=notify, engine=args.engine,
                                 model_path=args.model)
    listener = Listener(recognizer, settings.vad)
    listener.start()
    prefix_names = len(args.files) > 1

    def show(path, t0_ns, event) -> None:
        kind = type(event).__name__
        if args.json:
            print(json.dumps(event_json(path, t0_ns, event, listener.utterance_start_ns),
                             ensure_ascii=False), flush=True)
        elif kind == "PartialTranscript":
            t_ms = (event.t_ns - t0_ns) / NS_PER_MS
            print(f"[{t_ms:8.0f} ms] {event.text}", file=sys.stderr, flush=True)
        elif kind == "FinalTranscript" and event.text:
            print(f"{path}: {event.text}" if prefix_names else event.text, flush=True)

    try:
        for path in args.files:
            feed_file(listener, path, realtime=args.realtime,
                      on_event=lambda t0_ns, event, path=path: show(path, t0_ns, event))
    finally:
        listener.close()
    return 0
