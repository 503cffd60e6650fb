"""`voice-assistant bench FILES... [--json OUT.json] [--plot OUT.png] [--repeat N] [--seed N]
[--label TEXT] [--voices espeak,piper] [--api [--api-url URL | --api-in-process]]`
(a development tool's command: registered as an entry point, see assistant/cli.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

HELP = "measure voice-to-voice latency on recorded dialogs"


def add_arguments(parser):
    parser.add_argument("files", type=Path, nargs="+", metavar="FILE",
                        help="dialogs (WAV/FLAC) to replay")
    parser.add_argument("--json", type=Path, metavar="OUT.json", help="write the full report")
    parser.add_argument("--plot", type=Path, metavar="OUT.png", help="draw the report")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="replay every file N times in each mode (more turns)")
    parser.add_argument("--modes", default="streaming,silence,sequential", metavar="M,M",
                        help="which of streaming (the end-of-turn setting), silence (turns "
                             "end on silence only) and sequential (no overlap) to run")
    parser.add_argument("--seed", type=int, default=1, metavar="N",
                        help="LLM sampling seed of round 1 (round k uses N+k-1), the same in both "
                             "modes so that both answer the same words the same way (default 1; "
                             "-1: fresh randomness)")
    parser.add_argument("--label", default="", metavar="TEXT",
                        help="what this run measures (the code path and the dialogs), printed "
                             "above the table and kept in the JSON")
    parser.add_argument("--voices", default="", metavar="E,E",
                        help="replay each file with each of these TTS engines' default voices "
                             "in turn (espeak, piper), in the same run, and report them side "
                             "by side (rows \"MODE ENGINE\"); default: the configured voice")
    parser.add_argument("--api", action="store_true",
                        help="replay every file in-process, then through the local API over the "
                             "WebSocket and over REST (transcribe, reply, speak), and compare "
                             "their V2V; greedy decoding (temperature 0) on every path")
    parser.add_argument("--api-url", metavar="URL",
                        help="with --api: use the server already running at URL (its token from "
                             "the api-token file) instead of starting one for each dialog")
    parser.add_argument("--api-in-process", action="store_true",
                        help="with --api: host the server on a thread of the bench instead of a "
                             "child process (its clients then share the server's interpreter)")


def run(args, settings) -> int:
    from assistant.conversation.replay import input_info
    from assistant.evaluation.bench import format_report, run_bench

    from assistant.paths import writable_output

    for path in args.files:
        input_info(path)
    for path in (args.json, args.plot):
        if path is not None:
            writable_output(path)
    settings.llm.seed = max(args.seed, -1)
    from assistant.errors import UserError
    from assistant.evaluation.bench import MODES

    if args.api or args.api_url or args.api_in_process:
        return run_api(args, settings)
    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    unknown = [m for m in modes if m not in MODES]
    if unknown or not modes:
        raise UserError(f"--modes takes {', '.join(MODES)}, not {args.modes!r}.")
    voices = tuple(v.strip() for v in args.voices.split(",") if v.strip())
    wrong = [v for v in voices if v not in ("espeak", "piper")]
    if wrong or len(set(voices)) != len(voices):
        raise UserError(f"--voices takes espeak and piper, each once, not {args.voices!r}.")
    report = run_bench(settings, args.files, repeat=max(args.repeat, 1), modes=modes,
                       label=args.label, voices=voices,
                       progress=lambda m: print(m, file=sys.stderr))
    print(format_report(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"turns": report["turns"], "summary": {k: v for k, v in report.items()
                                                         if k != "turns"}}
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=1))
    if args.plot:
        from assistant.evaluation.bench_plot import plot_report

        plot_report(report, args.plot)
    return 0


def run_api(args, settings) -> int:
    """`bench --api`: in-process, WebSocket and REST on the same dialogs (api_bench.py)."""
    from assistant.errors import UserError
    from assistant.evaluation.api_bench import format_api_report, run_api_bench

    if args.plot is not None:
        raise UserError("--plot does not go with --api; leave one out.")
    if args.modes != "streaming,silence,sequential":
        raise UserError("--modes does not go with --api (its in-process path is the streaming "
                        "replay); leave one out.")
    if args.voices:
        raise UserError("--voices does not go with --api; leave one out.")
    settings.llm.temperature = 0.0  # greedy: the same words get the same reply on each path
    if args.api_url and args.api_in_process:
        raise UserError("--api-url and --api-in-process do not go together; leave one out.")
    report = run_api_bench(settings, args.files, api_url=args.api_url,
                           hosting="thread" if args.api_in_process else "process",
                           repeat=max(args.repeat, 1), label=args.label,
                           progress=lambda m: print(m, file=sys.stderr))
    print(format_api_report(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"turns": report["rows"], "summary": {k: v for k, v in report.items()
                                                        if k != "rows"}}
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=1, default=str))
    return 0
