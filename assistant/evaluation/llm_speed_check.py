"""How good is the speed estimate? Time the default LLM and another GGUF with the app's own
probe, scale the default's figures to the other's parameter count as the app does, and
report the estimate's error. The default is also timed on questions four times longer, to
show how the time to first token grows with the prompt.

    .venv/bin/python -m assistant.evaluation.llm_speed_check GGUF --parameters N
        [--runs 10] [--rounds 3] [--json]

The models are timed in turn, `rounds` times, and each figure is the median of its rounds,
so that a burst of other work on the machine weighs on both alike.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from assistant.commands.parsing import StrictParser
from assistant.config import LlmSettings
from assistant.errors import UserError

# after each probe question (the part that differs from the cached prompt): about four times
# the tokens to evaluate
POSTSCRIPT = (" I have been thinking about this for a while now, ever since my friend brought "
              "it up at dinner last week, and I would really like a clear answer from you.")


def _timed(model_id: str, path: Path, settings: LlmSettings, runs: int,
           questions: tuple[str, ...] = ()) -> dict:
    from assistant.llm import speed

    result = speed.measure(model_id, path, settings, runs=runs,
                           questions=questions or speed.QUESTIONS)
    return {"ttft_ms": result.ttft_ms, "tokens_per_s": result.tokens_per_s,
            "prompt_tokens": result.prompt_tokens}


def check(other: Path, parameters: int, runs: int, rounds: int) -> dict:
    from assistant.llm import resolve_llm_model, speed
    from assistant.llm.speed_estimate import scaled
    from assistant.llm.speed_table import REFERENCE
    from assistant.modelstore.manager import ModelManager

    manager = ModelManager()
    settings = LlmSettings()
    entry = manager.catalog_entry(REFERENCE)
    reference_path = resolve_llm_model(REFERENCE, manager)
    reference, target = [], []
    for _ in range(rounds):  # in turn, so that other work on the machine weighs on both
        reference.append(_timed(REFERENCE, reference_path, settings, runs))
        target.append(_timed(other.name, other, settings, runs))
    long = _timed(REFERENCE, reference_path, settings, runs,
                  questions=tuple(q + POSTSCRIPT for q in speed.QUESTIONS))

    def median(rows, key):
        return round(statistics.median(row[key] for row in rows), 1)

    ref = {k: median(reference, k) for k in ("ttft_ms", "tokens_per_s", "prompt_tokens")}
    got = {k: median(target, k) for k in ("ttft_ms", "tokens_per_s", "prompt_tokens")}
    measurement = speed.SpeedMeasurement(REFERENCE, ref["ttft_ms"], ref["tokens_per_s"],
                                         ref["prompt_tokens"], runs)
    ttft, rate = scaled(measurement, entry.parameters, parameters)
    return {
        "machine": speed.machine_facts(REFERENCE, reference_path, settings),
        "reference": {"model": REFERENCE, "parameters": entry.parameters, **ref,
                      "rounds_ttft_ms": [r["ttft_ms"] for r in reference]},
        "reference_long_prompt": long,
        "other": {"model": str(other), "parameters": parameters, **got,
                  "rounds_ttft_ms": [r["ttft_ms"] for r in target]},
        "estimate": {"ttft_ms": ttft, "tokens_per_s": rate,
                     "ttft_error_pct": round(100 * (ttft - got["ttft_ms"]) / got["ttft_ms"], 1),
                     "tokens_per_s_error_pct": round(
                         100 * (rate - got["tokens_per_s"]) / got["tokens_per_s"], 1)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = StrictParser(prog="python -m assistant.evaluation.llm_speed_check",
                          description=__doc__,
                          formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("gguf", type=Path, metavar="GGUF", help="a model of another size")
    parser.add_argument("--parameters", type=int, required=True, help="its parameter count")
    parser.add_argument("--runs", type=int, default=10, help="questions per timing")
    parser.add_argument("--rounds", type=int, default=3, help="timings of each model")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    try:
        result = check(args.gguf, args.parameters, max(1, args.runs), max(1, args.rounds))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    ref, long, other, est = (result["reference"], result["reference_long_prompt"],
                             result["other"], result["estimate"])
    print(f"{ref['model']}: {ref['ttft_ms']} ms to the first token ({ref['prompt_tokens']} "
          f"prompt tokens), {ref['tokens_per_s']} tokens/s")
    print(f"  long prompt: {long['ttft_ms']} ms ({long['prompt_tokens']} prompt tokens)")
    print(f"{other['model']}: measured {other['ttft_ms']} ms ({other['prompt_tokens']} "
          f"prompt tokens), {other['tokens_per_s']} tokens/s")
    print(f"  estimated {est['ttft_ms']} ms ({est['ttft_error_pct']:+} %), "
          f"{est['tokens_per_s']} tokens/s ({est['tokens_per_s_error_pct']:+} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
