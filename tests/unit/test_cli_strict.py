"""The command line takes options only as they are spelled, and its errors are one line that
names only options that exist."""

from __future__ import annotations

import re

import pytest

from assistant import cli
from assistant.commands.parsing import StrictParser, _subparsers


def every_parser(parser=None, path=("voice-assistant",)):
    parser = parser or cli.build_parser()
    yield path, parser
    for name, sub in _subparsers(parser).items():
        yield from every_parser(sub, (*path, name))


def options_of(command: tuple[str, ...]) -> set[str]:
    parsers = dict(every_parser())
    names = set()
    for length in range(1, len(command) + 1):  # a command takes its parents' options too
        names |= set(parsers[command[:length]].option_names())
    return names


def run(capsys, *argv) -> tuple[int, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def test_every_parser_refuses_abbreviations():
    for path, parser in every_parser():
        assert isinstance(parser, StrictParser), path
        assert parser.allow_abbrev is False, path


@pytest.mark.parametrize("argv,unknown,command", [
    (["ask", "hello", "--out", "x.wav"], "--out", "voice-assistant ask"),
    (["ask", "hello", "--output", "x.wav"], "--output", "voice-assistant ask"),
    (["replay", "in.wav", "--metric", "m.json"], "--metric", "voice-assistant replay"),
    (["--stt-eng", "vosk", "models", "list"], "--stt-eng", "voice-assistant"),
    (["models", "list", "--tim", "3"], "--tim", "voice-assistant models list"),
    (["transcribe", "a.wav", "--eng", "vosk"], "--eng", "voice-assistant transcribe"),
])
def test_an_abbreviated_or_unknown_option_is_refused_in_one_line(capsys, argv, unknown, command):
    code, err = run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1, err
    assert f"unknown option {unknown}" in err and f"see '{command} --help'" in err


def test_a_near_miss_is_named_with_the_option_that_exists(capsys):
    code, err = run(capsys, "ask", "--no-spek", "hello")
    assert code == 2 and "did you mean --no-speak?" in err


def test_a_missing_argument_is_one_line(capsys):
    code, err = run(capsys, "models", "download")
    assert code == 2 and err.count("\n") == 1 and "ID" in err


@pytest.fixture
def no_output_device(monkeypatch, tmp_path):
    sd = pytest.importorskip("sounddevice")
    monkeypatch.setenv("VOICE_ASSISTANT_CONFIG_DIR", str(tmp_path / "config"))

    def no_device(*args, **kwargs):
        raise sd.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sd, "query_devices", no_device)


@pytest.mark.parametrize("command,fix", [("ask", "--no-speak"), ("say", "--out")])
def test_errors_name_only_options_the_command_has(capsys, no_output_device, command, fix):
    code, err = run(capsys, command, "hello")
    assert code == 2 and err.count("\n") == 1
    named = set(re.findall(r"--[a-z][a-z-]*", err))
    assert fix in named
    assert named <= options_of(("voice-assistant", command)), named


def test_help_names_only_options_that_exist(capsys):
    for path, parser in every_parser():
        text = parser.format_help()
        named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))
        assert named <= options_of(path) | {"--help"}, (path, named - options_of(path))
