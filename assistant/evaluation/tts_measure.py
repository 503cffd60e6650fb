"""Measure TTS time to first audio for a ten-word sentence, per engine (no cache).

    .venv/bin/python -m assistant.evaluation.tts_measure [--runs 20] [--engine espeak|piper|both] [--json]

Each run speaks a different ten-word sentence, so no engine can answer from a cache. "First
audio" is the first PCM piece the engine yields; figures are p50/p95 over the runs.
"""

from __future__ import annotations

import argparse
import json
import sys

from assistant.clock import DEFAULT_CLOCK, NS_PER_MS
from assistant.commands.parsing import StrictParser
from assistant.config import TtsSettings, load_settings
from assistant.errors import UserError
from assistant.metrics import summarize

SUBJECTS = ["The small dog", "My old neighbour", "A tired student", "The red fox", "Our new robot",
            "The quiet child", "A friendly baker", "The busy doctor", "An honest farmer",
            "The young pilot"]
ACTIONS = ["walked slowly across the park on Sunday.",
           "painted the wooden fence blue last week."]


def sentence(i: int) -> str:
    """Ten words, different for each i < 20."""
    return f"{SUBJECTS[i % len(SUBJECTS)]} {ACTIONS[(i // len(SUBJECTS)) % len(ACTIONS)]}"


def measure_engine(settings: TtsSettings, runs: int) -> dict:
    from assistant.tts.factory import make_tts

    engine = make_tts(TtsSettings(engine=settings.engine, voice=settings.voice,
                                  rate=settings.rate, cache_entries=0))
    t_load = DEFAULT_CLOCK.now_ns()
    engine.start()
    load_ms = (DEFAULT_CLOCK.now_ns() - t_load) / NS_PER_MS
    first, total, seconds = [], [], []
    for i in range(runs):
        start = DEFAULT_CLOCK.now_ns()
        t_first = None
        n = 0
        for samples in engine.synthesize(sentence(i)):
            t_first = t_first or DEFAULT_CLOCK.now_ns()
            n += len(samples)
        if t_first is None:
            continue
        first.append((t_first - start) / NS_PER_MS)
        total.append((DEFAULT_CLOCK.now_ns() - start) / NS_PER_MS)
        seconds.append(n / engine.sample_rate)
    engine.close()
    return {"engine": settings.engine, "voice": engine.voice, "runs": runs,
            "load_and_warm_up_ms": round(load_ms, 1),
            "time_to_first_audio_ms": summarize(first), "synthesis_ms": summarize(total),
            "audio_s": summarize(seconds)}


def main(argv: list[str] | None = None) -> int:
    parser = StrictParser(prog="python -m assistant.evaluation.tts_measure", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--engine", choices=["espeak", "piper", "both"], default="both")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    base = load_settings().tts
    engines = ["espeak", "piper"] if args.engine == "both" else [args.engine]
    results = []
    for name in engines:
        settings = TtsSettings(engine=name, voice=base.voice if base.engine == name else "",
                               rate=base.rate)
        try:
            results.append(measure_engine(settings, max(1, args.runs)))
        except UserError as exc:
            print(f"error: {name}: {exc}", file=sys.stderr)
            return exc.exit_code
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        f, a = r["time_to_first_audio_ms"], r["audio_s"]
        print(f"{r['engine']:7s} voice {r['voice']}: first audio p50 {f['p50']} ms, p95 "
              f"{f['p95']} ms; {a['p50']} s of audio; load + warm-up {r['load_and_warm_up_ms']} "
              f"ms ({r['runs']} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
