"""`voice-assistant replay IN.wav [--out OUT.wav] [--metrics M.json] [--sequential]`."""

from __future__ import annotations

import sys
from pathlib import Path


def add_arguments(parser):
    parser.add_argument("input", type=Path, metavar="IN.wav", help="speech to feed in")
    parser.add_argument("--out", type=Path, metavar="OUT.wav",
                        help="the assistant's audio on the input's timeline")
    parser.add_argument("--metrics", type=Path, metavar="M.json", help="turn metrics (JSON)")
    parser.add_argument("--sequential", action="store_true",
                        help="no-overlap baseline: each stage waits for the previous one")
    parser.add_argument("--echo", type=float, default=0.0, metavar="GAIN",
                        help="mix the assistant's output back into the input at this gain")
    parser.add_argument("--echo-delay", type=float, default=30.0, metavar="MS",
                        help="delay of the simulated echo path (default 30 ms)")
    parser.add_argument("--speed", choices=["realtime", "fast"], default="realtime",
                        help="feed the file in real time (default) or as fast as possible")
    parser.add_argument("--log", action="store_true",
                        help="also append the turns to the conversation log")


def run(args, settings) -> int:
    from assistant.conversation.replay import input_info
    from assistant.conversation.log import ConversationLog
    from assistant.paths import conversation_log_file, writable_output
    from assistant.conversation.replay import run_replay, write_outputs

    input_info(args.input)
    for path in (args.out, args.metrics):
        if path is not None:
            writable_output(path)
    if not 0.0 <= args.echo <= 4.0:
        from assistant.errors import UserError

        raise UserError("--echo must be a gain between 0 and 4 (0.5 is a typical laptop).")

    def show(event):
        from assistant.events import FinalTranscript, Notice, TurnCompleted

        if isinstance(event, Notice):
            print(f"note: {event.message}", file=sys.stderr)
        elif isinstance(event, FinalTranscript) and event.text:
            print(f"you: {event.text}", file=sys.stderr)
        elif isinstance(event, TurnCompleted):
            v2v = event.metrics.get("v2v_ms")
            cut = " [interrupted]" if event.interrupted else ""
            print(f"assistant: {event.reply_text}{cut}  (v2v {v2v} ms)", file=sys.stderr)

    log = ConversationLog(conversation_log_file()) if args.log else None
    result = run_replay(settings, args.input, sequential=args.sequential, echo_gain=args.echo,
                        echo_delay_ms=args.echo_delay, speed=args.speed, on_event=show,
                        conversation_log=log, render_out=args.out is not None)
    write_outputs(result, args.out, args.metrics)
    summary = result.summary()
    v2v = summary["v2v_ms"]
    print(f"{summary['turns']} turns, {summary['interrupted']} interrupted; "
          f"V2V p50 {v2v['p50']} ms, p95 {v2v['p95']} ms", file=sys.stderr)
    return 0
