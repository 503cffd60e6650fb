"""The `voice-assistant` command.

Each subcommand lives in `assistant/commands/<name>.py` with `add_arguments(parser)` and
`run(args, settings) -> int`; heavy imports stay inside `run` so `models list` starts fast.
Expected failures (`UserError`) print one line on stderr and exit non-zero.

Commands of the development tools (`bench`, `eval`) are not part of the app: a package that
has them declares them as entry points of the group `voice_assistant.commands` (a module
with `HELP`, `add_arguments` and `run`), so the app never imports them and a build without
them (the bundle) simply has no such command.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from pathlib import Path

from assistant import __version__
from assistant.commands.parsing import StrictParser, parse_strictly
from assistant.config import ConfigError, Settings, load_settings, set_value
from assistant.errors import UserError

TOOL_COMMANDS = "voice_assistant.commands"  # entry point group of the development tools
# subcommand name -> (module, one-line help)
COMMANDS = {
    "listen": ("listen", "headless live loop on the default microphone and speaker"),
    "replay": ("replay", "feed a WAV file as if spoken into the microphone"),
    "transcribe": ("transcribe", "transcribe a WAV or FLAC file"),
    "say": ("say", "speak a text (or write it to a WAV file)"),
    "ask": ("ask", "ask the LLM; stream the reply and speak it"),
    "models": ("models", "list, download, add and remove models"),
    "serve": ("serve", "serve the assistant to other programs on this machine (127.0.0.1)"),
}


def _common_options(suppress: bool = False) -> StrictParser:
    """The options every command takes. Subcommands get them with SUPPRESS defaults so that a
    value given before the command name is not overwritten by the subcommand's default."""
    common = StrictParser(add_help=False, argument_default=argparse.SUPPRESS if suppress else None)
    group = common.add_argument_group("options every command takes")
    group.add_argument("--config", type=Path, metavar="PATH", help="settings file to use")
    group.add_argument("--stt-engine", choices=["vosk", "whisper"], help="speech recognizer")
    group.add_argument("--stt-model", metavar="ID|PATH", help="speech model id or folder")
    group.add_argument("--llm-model", metavar="ID|PATH", help="LLM catalog id or .gguf file")
    group.add_argument("--tts-engine", choices=["espeak", "piper"], help="voice engine")
    group.add_argument("--voice", metavar="NAME", help="voice name (engine specific)")
    group.add_argument("--mode", choices=["ptt", "open-mic"], help="push-to-talk or open mic")
    group.add_argument("--input-device", metavar="NAME|INDEX", help="microphone")
    group.add_argument("--output-device", metavar="NAME|INDEX", help="speaker")
    group.add_argument(
        "-v", "--verbose", action="store_true",
        default=argparse.SUPPRESS if suppress else False, help="log details to stderr",
    )
    return common


def build_parser() -> StrictParser:
    common = _common_options()
    parser = StrictParser(
        prog="voice-assistant",
        description="A local voice assistant. With no command, starts the desktop app.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    app = parser.add_argument_group("desktop app")
    app.add_argument("--replay", type=Path, metavar="IN.wav", help="feed the app from a WAV")
    app.add_argument("--screenshot", type=Path, metavar="OUT.png", help="save a screenshot")
    app.add_argument("--quit-after", type=float, metavar="SECONDS", help="quit after a while")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    command_common = _common_options(suppress=True)
    for name, (module, help_text) in command_modules().items():
        command_parser = sub.add_parser(name, help=help_text, parents=[command_common])
        command_parser.set_defaults(command_parser=command_parser, command_module=module)
        module.add_arguments(command_parser)
    return parser


def command_modules() -> dict:
    """name -> (module, one-line help): the app's commands, then any a tool package adds."""
    from importlib.metadata import entry_points

    found = {name: (importlib.import_module(f"assistant.commands.{module}"), help_text)
             for name, (module, help_text) in COMMANDS.items()}
    for point in entry_points(group=TOOL_COMMANDS):
        if point.name not in found:
            module = point.load()
            found[point.name] = (module, module.HELP)
    return found


def apply_overrides(settings: Settings, args: argparse.Namespace) -> Settings:
    """Command-line options win over the settings file, validated the same way."""
    pairs = {
        "stt.engine": args.stt_engine,
        "llm.model": args.llm_model,
        "tts.engine": args.tts_engine,
        "tts.voice": args.voice,
        "conversation.mode": args.mode,
        "audio.input_device": args.input_device,
        "audio.output_device": args.output_device,
    }
    if args.stt_model:
        engine = args.stt_engine or settings.stt.engine
        pairs["stt.whisper_model" if engine == "whisper" else "stt.vosk_model"] = args.stt_model
    for key, value in pairs.items():
        if value is not None:
            set_value(settings, key, value)
    return settings


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    from assistant.memory import limit_arenas

    multiprocessing.freeze_support()  # a bundled build's child processes (model checks)

    limit_arenas()
    parser = build_parser()
    # an option no parser took is refused by the (sub)command it was given to
    args = parse_strictly(parser, argv, lambda a: getattr(a, "command_parser", parser))
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        settings = apply_overrides(load_settings(args.config), args)
        if args.command is None:
            from ui.app import run_app

            return run_app(args, settings)
        return int(args.command_module.run(args, settings) or 0)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
