"""Measure TTS time to first audio for a first chunk and a ten-word sentence, per engine (no
cache), and how fast it synthesizes (the real-time factor: synthesis time / audio time).

    .venv/bin/python -m assistant.evaluation.tts_measure [--runs 20] [--engine espeak|piper|both] [--json]

Each run speaks a different four-word first chunk (the size the conversation's chunker sends
first) and a different ten-word sentence, so no engine can answer from a cache. "First audio"
is the first PCM piece the engine yields; figures are p50/p95 over the runs.
"""

from __future__ import annotations

import argparse
import json
import sys

from assistant.clock import DEFAULT_CLOCK, NS_PER_MS
from assistant.commands.parsing import StrictParser
from assistant.config import TtsSettings, load_settings
from assistant.errors import UserError
from assistant.metrics import percentile, summarize

SUBJECTS = ["The small dog", "My old neighbour", "A tired student", "The red fox", "Our new robot",
            "The quiet child", "A friendly baker", "The busy doctor", "An honest farmer",
            "The young pilot"]
ACTIONS = ["walked slowly across the park on Sunday.",
           "painted the wooden fence blue last week."]


def sentence(i: int) -> str:
    """Ten words, different for each i < 20."""
    return f"{SUBJECTS[i % len(SUBJECTS)]} {ACTIONS[(i // len(SUBJECTS)) % len(ACTIONS)]}"


def first_chunk(i: int) -> str:
    """Four or five words ending in a comma, as a reply's first chunk often does."""
    return f"{SUBJECTS[i % len(SUBJECTS)]} {'said' if i < len(SUBJECTS) else 'wrote'},"


def _time(engine, text: str) -> tuple[float | None, float, float]:
    """(ms to the first audio, ms to the last, seconds of audio)."""
    start = DEFAULT_CLOCK.now_ns()
    t_first = None
    n = 0
    for samples in engine.synthesize(text):
        t_first = t_first or DEFAULT_CLOCK.now_ns()
        n += len(samples)
    end = DEFAULT_CLOCK.now_ns()
    first = None if t_first is None else (t_first - start) / NS_PER_MS
    return first, (end - start) / NS_PER_MS, n / engine.sample_rate


def measure_engine(settings: TtsSettings, runs: int) -> dict:
    from assistant.tts.factory import make_tts

    engine = make_tts(TtsSettings(engine=settings.engine, voice=settings.voice,
                                  rate=settings.rate, cache_entries=0))
    t_load = DEFAULT_CLOCK.now_ns()
    engine.start()
    load_ms = (DEFAULT_CLOCK.now_ns() - t_load) / NS_PER_MS
    first, total, seconds, chunk_first, factors = [], [], [], [], []
    for i in range(runs):
        chunk_first.append(_time(engine, first_chunk(i))[0])
        t_first, t_total, audio_s = _time(engine, sentence(i))
        if t_first is None:
            continue
        first.append(t_first)
        total.append(t_total)
        seconds.append(audio_s)
        factors.append(t_total / 1000 / audio_s)
    engine.close()
    return {"engine": engine.name, "voice": engine.voice, "runs": runs,
            "load_and_warm_up_ms": round(load_ms, 1),
            "first_chunk_first_audio_ms": summarize(chunk_first),
            "time_to_first_audio_ms": summarize(first), "synthesis_ms": summarize(total),
            "audio_s": summarize(seconds),
            "real_time_factor_p50": round(percentile(factors, 50), 3) if factors else None}


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
        voice = base.voice if base.engine == name else ""
        if name == "piper" and not voice:  # named: timed as it is, never replaced by espeak-ng
            from assistant.tts.factory import DEFAULT_PIPER_VOICE

            voice = DEFAULT_PIPER_VOICE
        settings = TtsSettings(engine=name, voice=voice, rate=base.rate)
        try:
            results.append(measure_engine(settings, max(1, args.runs)))
        except UserError as exc:
            print(f"error: {name}: {exc}", file=sys.stderr)
            return exc.exit_code
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        c, f, a = r["first_chunk_first_audio_ms"], r["time_to_first_audio_ms"], r["audio_s"]
        print(f"{r['engine']:7s} voice {r['voice']}: first chunk (4-5 words) first audio p50 "
              f"{c['p50']} ms, p95 {c['p95']} ms; ten words p50 {f['p50']} ms, p95 {f['p95']} "
              f"ms, {a['p50']} s of audio, real-time factor p50 "
              f"{r['real_time_factor_p50']}; load + warm-up {r['load_and_warm_up_ms']} ms "
              f"({r['runs']} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
