"""`voice-assistant listen`: the conversation loop headless, on the microphone and speaker."""

from __future__ import annotations

import signal
import sys
import threading


def add_arguments(parser):
    parser.add_argument("--seconds", type=float, default=0.0,
                        help="stop after this long (default: until Ctrl-C)")


def run(args, settings) -> int:
    from assistant.conversation.log import ConversationLog
    from assistant.events import (
        BargeIn, FinalTranscript, Notice, PartialTranscript, StatusChanged, TimersChanged,
        TurnCompleted,
    )
    from assistant.paths import conversation_log_file, timers_file
    from assistant.conversation.session import Session
    from assistant.told_once import first_time

    done = threading.Event()

    def show(event):
        if isinstance(event, Notice):
            if first_time(event.message):  # the Vosk notice: only the first time
                print(f"{event.level}: {event.message}", file=sys.stderr)
        elif isinstance(event, StatusChanged):
            print(f"[{event.state}]", file=sys.stderr)
        elif isinstance(event, PartialTranscript):
            print(f"  ... {event.text}", file=sys.stderr)
        elif isinstance(event, FinalTranscript) and event.text:
            print(f"you: {event.text}")
        elif isinstance(event, BargeIn):
            print("  (interrupted)", file=sys.stderr)
        elif isinstance(event, TimersChanged):
            names = ", ".join(timer.name for timer in event.timers) or "none"
            print(f"  (timers: {names})", file=sys.stderr)
        elif isinstance(event, TurnCompleted):
            v2v = event.metrics.get("v2v_ms")
            print(f"assistant: {event.reply_text}" + (f"   [{v2v:.0f} ms]" if v2v else ""))
        sys.stdout.flush()

    log = ConversationLog(conversation_log_file()) if settings.conversation.log_conversations else None
    session = Session(settings, on_event=show, conversation_log=log, require_devices=True,
                      timers_file=timers_file())
    if not session.start():
        return 2
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("Listening; press Ctrl-C to stop.", file=sys.stderr)
    try:
        done.wait(args.seconds or None)
    except KeyboardInterrupt:
        pass
    finally:
        session.stop()
    return 0
