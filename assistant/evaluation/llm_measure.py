"""Measure the LLM stage: time to first token, tokens per second, and how many tokens into a
reply the chunker lets the first speakable chunk go.

    .venv/bin/python -m assistant.evaluation.llm_measure [--runs 20] [--model ID|PATH] [--json]

Each run asks a different question with a fresh history (the system prompt stays cached, as
in the app). Times are on the app's monotonic clock; figures are p50/p95 over the runs.
"""

from __future__ import annotations

import argparse
import json
import sys

from assistant.clock import DEFAULT_CLOCK, NS_PER_MS, NS_PER_S
from assistant.commands.parsing import StrictParser
from assistant.config import LlmSettings, load_settings
from assistant.errors import UserError
from assistant.metrics import summarize

QUESTIONS = [
    "What is the capital of France?", "How far away is the moon?", "Why is the sky blue?",
    "Give me a tip for sleeping better.", "What should I cook for dinner tonight?",
    "How do plants make food?", "What is a good name for a cat?", "Tell me a fun fact.",
    "How many legs does a spider have?", "What is the tallest mountain?",
    "How do I boil an egg?", "What is the weather like on Mars?", "Who wrote Hamlet?",
    "How does a rainbow form?", "What is two plus two?", "Suggest a short walk route idea.",
    "Why do cats purr?", "What is the speed of light?", "How do bees make honey?",
    "What is the largest ocean?", "Tell me a short joke.", "How do airplanes fly?",
]


def measure(settings: LlmSettings, model_path, runs: int) -> dict:
    from assistant.llm.engine import LlmEngine
    from assistant.tts.chunker import Chunker

    engine = LlmEngine(settings, model_path)
    t_load = DEFAULT_CLOCK.now_ns()
    engine.start()
    load_ms = (DEFAULT_CLOCK.now_ns() - t_load) / NS_PER_MS
    ttft, rates, first_chunk_tokens, first_chunk_ms, n_tokens = [], [], [], [], []
    for i in range(runs):
        question = QUESTIONS[i % len(QUESTIONS)]
        chunker = Chunker()
        times: list[int] = []
        chunk_at: tuple[int, int] | None = None
        start = DEFAULT_CLOCK.now_ns()
        for token in engine.stream_reply(engine.new_history().messages_for(question)):
            times.append(DEFAULT_CLOCK.now_ns())
            if chunk_at is None and chunker.feed(token):
                chunk_at = (len(times), times[-1])
        if chunk_at is None and chunker.flush():
            chunk_at = (len(times), DEFAULT_CLOCK.now_ns())
        if not times:
            continue
        ttft.append((times[0] - start) / NS_PER_MS)
        n_tokens.append(len(times))
        if len(times) > 1 and times[-1] > times[0]:
            rates.append((len(times) - 1) * NS_PER_S / (times[-1] - times[0]))
        if chunk_at is not None:
            first_chunk_tokens.append(chunk_at[0])
            first_chunk_ms.append((chunk_at[1] - start) / NS_PER_MS)
    engine.close()
    return {
        "model": str(model_path), "chat_format": engine.chat_format, "runs": runs,
        "load_and_warm_up_ms": round(load_ms, 1),
        "time_to_first_token_ms": summarize(ttft),
        "tokens_per_s": summarize(rates),
        "first_chunk_after_tokens": summarize(first_chunk_tokens),
        "first_chunk_ms": summarize(first_chunk_ms),
        "reply_tokens": summarize(n_tokens),
    }


def main(argv: list[str] | None = None) -> int:
    parser = StrictParser(prog="python -m assistant.evaluation.llm_measure", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--model", metavar="ID|PATH", help="LLM id or .gguf (default: setting)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    from assistant.llm import resolve_llm_model

    settings = load_settings().llm
    try:
        path = resolve_llm_model(args.model or settings.model)
        result = measure(settings, path, max(1, args.runs))
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"model {result['model']} ({result['chat_format']} template), {args.runs} runs, "
          f"load + warm-up {result['load_and_warm_up_ms']} ms")
    for key, unit in (("time_to_first_token_ms", "ms"), ("tokens_per_s", "tok/s"),
                      ("first_chunk_after_tokens", "tokens"), ("first_chunk_ms", "ms"),
                      ("reply_tokens", "tokens")):
        s = result[key]
        print(f"  {key:26s} p50 {s['p50']} {unit}   p95 {s['p95']} {unit}   (n={s['count']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
