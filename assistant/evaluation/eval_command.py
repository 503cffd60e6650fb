"""`voice-assistant eval replies [--json OUT.json] [--show] [--seed N]` (a development tool's
command: registered as an entry point, see assistant/cli.py). The LLM, its sampling and the
system prompt come from the settings and the usual options (`--llm-model`, `--config`), so
the same eval compares models and settings."""

from __future__ import annotations

import json
import sys
from pathlib import Path

HELP = "score the LLM's replies on the reply-quality prompts"


def add_arguments(parser):
    parser.add_argument("what", choices=["replies"], help="what to evaluate")
    parser.add_argument("--json", type=Path, metavar="OUT.json",
                        help="write every prompt, reply and score")
    parser.add_argument("--show", action="store_true", help="print every reply as it comes")
    parser.add_argument("--seed", type=int, default=1, metavar="N",
                        help="LLM sampling seed (default 1, the same every run; -1: fresh)")
    parser.add_argument("--label", default="", metavar="TEXT", help="name of this run")


def run(args, settings) -> int:
    from assistant.evaluation.replies import format_summary, run_eval
    from assistant.evaluation.reply_prompts import CASES
    from assistant.llm import LlmEngine, resolve_llm_model
    from assistant.paths import writable_output

    if args.json is not None:
        writable_output(args.json)
    settings.llm.seed = max(args.seed, -1)
    llm = LlmEngine(settings.llm, resolve_llm_model(settings.llm.model))
    llm.start()
    budget = settings.conversation.max_reply_sentences

    def progress(n, total, row):
        if args.show:
            print(f"[{n}/{total}] {row['say']}\n    -> {row['reply']!r}", file=sys.stderr)

    try:
        result = run_eval(llm, CASES, budget, progress=progress)
    finally:
        llm.close()
    label = args.label or f"{settings.llm.model}, temperature {settings.llm.temperature}"
    print(format_summary(label, result["summary"]))
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"label": label, **result}, indent=1))
    return 0
