"""The one-line reason of an exception, as the loaders and the settings file give it."""

from __future__ import annotations

from assistant.errors import first_line


def test_the_first_line_of_the_message_or_the_type_when_there_is_none():
    assert first_line(RuntimeError("bad header\nat offset 12\n")) == "bad header"
    assert first_line(ValueError("\n  not a model  \n")) == "not a model"
    assert first_line(OSError()) == "OSError"
    assert first_line(RuntimeError("  \n")) == "RuntimeError"
