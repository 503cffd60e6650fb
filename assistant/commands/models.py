"""The `models` command: list, download, add and remove models, install the defaults, and
the LLMs' speed on this machine (`models speed`, in models_speed.py).

Results go to stdout, progress bars to stderr. Failures are `UserError`s, which the CLI prints
as one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _shared_options(parser: argparse.ArgumentParser) -> None:
    # On `models` and on each action, so both `models --timeout 5 download X` and
    # `models download X --timeout 5` work; SUPPRESS keeps the later parser from resetting it.
    parser.add_argument(
        "--catalog", type=Path, metavar="PATH", default=argparse.SUPPRESS,
        help="use this catalog file instead of the bundled one",
    )
    parser.add_argument(
        "--timeout", type=float, metavar="SECONDS", default=argparse.SUPPRESS,
        help="give up when the network sends nothing for this long (default 20)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _shared_options(parser)
    actions = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    parsers = {
        "list": actions.add_parser("list", help="installed and downloadable models"),
        "download": actions.add_parser("download", help="download and install a catalog model"),
        "add": actions.add_parser("add", help="register a model folder or file you already have"),
        "remove": actions.add_parser("remove", help="remove a model (user-added files are kept)"),
        "install-defaults": actions.add_parser(
            "install-defaults", help="install the default models (LLM, Whisper, end-of-turn, voice) if missing"
        ),
        "speed": actions.add_parser(
            "speed", help="each LLM's time to first token and tokens/s here (measured or estimated)"
        ),
    }
    for action_parser in parsers.values():
        _shared_options(action_parser)
        action_parser.set_defaults(command_parser=action_parser)
    parsers["download"].add_argument("id", metavar="ID", help="catalog id (see `models list`)")
    parsers["add"].add_argument("path", type=Path, metavar="PATH", help="Vosk/Whisper folder, Piper .onnx or .gguf file")
    parsers["add"].add_argument("--id", dest="model_id", metavar="ID", help="id to give it (default: from the name)")
    parsers["add"].add_argument("--language", metavar="CODE", help="language code such as en (default: guessed)")
    parsers["remove"].add_argument("id", metavar="ID")
    from assistant.commands import models_speed

    models_speed.add_arguments(parsers["speed"])


def run(args: argparse.Namespace, settings) -> int:
    from assistant.modelstore.manager import DEFAULT_TIMEOUT, ModelManager

    manager = ModelManager(
        catalog_path=getattr(args, "catalog", None),
        timeout=getattr(args, "timeout", None) or DEFAULT_TIMEOUT,
    )
    handler = {
        "list": _list,
        "download": _download,
        "add": _add,
        "remove": _remove,
        "install-defaults": _install_defaults,
        "speed": lambda manager, args: _speed(manager, args, settings),
    }[args.models_command]
    return handler(manager, args)


class ProgressBar:
    """A tqdm bar on stderr fed with (done, total) byte counts."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.last = 0

    def __call__(self, done: int, total: int | None) -> None:
        from tqdm import tqdm

        if self.bar is None or (total is not None and self.bar.total != total):
            self.close()
            self.bar = tqdm(
                total=total, initial=done, desc=self.label, unit="B", unit_scale=True,
                unit_divisor=1024, file=sys.stderr, dynamic_ncols=True, leave=False,
                disable=None,  # no bar when stderr is not a terminal (logs, CI)
            )
            self.last = done
        self.bar.update(done - self.last)
        self.last = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _list(manager, args) -> int:
    from assistant.modelstore.manager import human_size

    installed = {m.id: m for m in manager.installed()}
    rows = []
    for entry in manager.catalog():
        size = ("~" if entry.approximate_size else "") + human_size(entry.size)
        model = installed.pop(entry.id, None)
        if model is not None:
            state = "installed" if model.path.exists() else "missing"
            where = str(model.path)
        elif manager.partial_download(entry.id) is not None:
            state, where = "partial", ""
        else:
            state, where = "available", ""
        check = "sha256" if entry.sha256 else "size only"
        rows.append((entry.id, entry.kind, entry.language, size, check, state, where))
    for model in installed.values():  # user-added models, and any no longer in the catalog
        state = ("added" if model.source == "user" else "installed") if model.path.exists() else "missing"
        rows.append((model.id, model.kind, model.language or "-", human_size(model.size), "-",
                     state, str(model.path)))
    header = ("ID", "KIND", "LANG", "SIZE", "CHECKSUM", "STATE", "PATH")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(6)]
    for row in [header, *rows]:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:6])]
        print("  ".join([*cells, row[6]]).rstrip())
    return 0


def _download(manager, args) -> int:
    existing = manager.get_installed(args.id)
    if existing is not None and existing.path.exists():
        print(f"{args.id} is already installed at {existing.path}")
        return 0
    bar = ProgressBar(args.id)
    try:
        model = manager.download(args.id, progress=bar)
    finally:
        bar.close()
    print(f"installed {model.id} ({model.verification}) at {model.path}")
    return 0


def _add(manager, args) -> int:
    model = manager.add(args.path, model_id=args.model_id, language=args.language)
    print(f"added {model.id} ({model.kind}, language {model.language or 'unknown'}) at {model.path}")
    return 0


def _remove(manager, args) -> int:
    model = manager.get_installed(args.id)
    manager.remove(args.id)
    if model is None:
        print(f"removed the partial download of {args.id}")
    elif model.source == "user":
        print(f"removed {args.id} from the list; its files at {model.path} were left in place")
    else:
        print(f"removed {args.id}")
    return 0


def _speed(manager, args, settings) -> int:
    from assistant.commands import models_speed

    return models_speed.run(manager, args, settings)


def _install_defaults(manager, args) -> int:
    from assistant.modelstore.manager import DEFAULT_MODEL_IDS

    present = {m.id for m in manager.installed() if m.path.exists()}
    bars: dict[str, ProgressBar] = {}

    def progress(model_id: str, done: int, total: int | None) -> None:
        bars.setdefault(model_id, ProgressBar(model_id))(done, total)

    try:
        models = manager.ensure_defaults(progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    for model_id, model in zip(DEFAULT_MODEL_IDS, models):
        if model_id in present:
            print(f"{model.id}: already installed at {model.path}")
        else:
            print(f"{model.id}: installed ({model.verification}) at {model.path}")
    return 0
