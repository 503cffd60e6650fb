"""`voice-assistant models speed [--again] [--json]`: each catalog LLM's expected speed here.

Installed models are timed with the real engine (once; the figures are cached until the
machine, llama.cpp or the file changes, or `--again`); the others are estimated from a
measured one by parameter count (assistant/llm/speed_estimate.py). The table goes to stdout;
a model that could not be timed is one line on stderr.
"""

from __future__ import annotations

import json
import sys

from assistant.llm.speed_estimate import CONVERSATIONAL_TTFT_MS


def add_arguments(parser) -> None:
    parser.add_argument("--again", action="store_true",
                        help="time the installed models again even if their figures are cached")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")


def _cell(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:.0f} {unit}" if unit else f"{value:.0f}"


def run(manager, args, settings) -> int:
    from assistant.llm.speed_table import speed_table

    def progress(model_id: str) -> None:
        if not args.json:
            print(f"timing {model_id}…", file=sys.stderr, flush=True)

    table = speed_table(manager, settings.llm, measure="installed", again=args.again,
                        progress=progress)
    if args.json:
        rows = [dict(s.to_dict(), installed=s.model_id in table.installed,
                     current=s.model_id == settings.llm.model) for s in table.speeds]
        print(json.dumps({"conversational_ttft_ms": CONVERSATIONAL_TTFT_MS, "models": rows,
                          "problems": table.problems}, indent=2))
    else:
        header = ("ID", "PARAMETERS", "FIRST TOKEN", "TOKENS/S", "HOW", "STATE")
        rows = []
        for s in table.speeds:
            how = "measured" if s.measured else (f"estimated from {s.basis}" if s.known
                                                 else "unknown")
            state = "installed" if s.model_id in table.installed else "available"
            if s.model_id == settings.llm.model:
                state += ", in use"
            params = f"{s.parameters / 1e6:.0f}M" if s.parameters else "-"
            rows.append((s.model_id, params, _cell(s.ttft_ms, "ms"),
                         _cell(s.tokens_per_s), how, state))
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        print(f"Under {CONVERSATIONAL_TTFT_MS:.0f} ms to the first token feels conversational. "
              "Estimates are scaled from a measured model by parameter count.")
    for problem in table.problems:
        print(f"error: {problem}", file=sys.stderr)
    return 2 if table.problems else 0
