"""The command line's parser: strict, and its errors are one line that says what to do.

Every parser of the app and of its tools is a `StrictParser`: an option must be spelled out
in full (argparse would otherwise take `--out` for `--output-device`), and an unknown option
or a missing argument ends the command with one line naming only options that exist.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from typing import Callable


class StrictParser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # argparse's hook: it must not return
        self.exit(2, f"error: {message}; see '{self.prog} --help'.\n")

    def option_names(self) -> list[str]:
        return [name for action in self._actions for name in action.option_strings]

    def refuse_extras(self, extras: list[str]) -> None:
        """Arguments no parser took: an unknown option, or a word too many."""
        word = extras[0]
        if not word.startswith("-"):
            self.error(f"unexpected argument {word!r}")
        name = word.split("=", 1)[0]
        close = difflib.get_close_matches(name, self.option_names(), n=1, cutoff=0.8)
        hint = f" (did you mean {close[0]}?)" if close else ""
        self.error(f"unknown option {name}{hint}")


def parse_strictly(parser: StrictParser, argv: list[str] | None,
                   chosen: Callable[[argparse.Namespace], StrictParser]) -> argparse.Namespace:
    """Parse `argv`; extras are refused by the parser of the command they were given to
    (`chosen(args)` finds it), so the error names that command's help. An option that no
    parser knows is refused first: given before the command's name, argparse would take the
    word after it for the command ("invalid choice") instead."""
    argv = list(sys.argv[1:] if argv is None else argv)
    known = set(_all_options(parser))
    for index, word in enumerate(argv):
        if word == "--":
            break
        if word.startswith("--") and word.split("=", 1)[0] not in known:
            _command_parser(parser, argv[:index]).refuse_extras([word])
    args, extras = parser.parse_known_args(argv)
    if extras:
        chosen(args).refuse_extras(extras)
    return args


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found.update(action.choices)
    return found


def _all_options(parser: argparse.ArgumentParser):
    for action in parser._actions:
        yield from action.option_strings
    for sub in _subparsers(parser).values():
        yield from _all_options(sub)


def _command_parser(parser: argparse.ArgumentParser, argv: list[str]) -> StrictParser:
    """The deepest (sub)command named in `argv` (the words before the unknown one)."""
    for word in argv:
        sub = _subparsers(parser).get(word)
        if sub is not None:
            parser = sub
    return parser
