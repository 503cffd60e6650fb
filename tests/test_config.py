import pytest

from assistant.cli import main
from assistant.config import (
    ConfigError,
    Settings,
    load_settings,
    save_settings,
    set_value,
    settings_from_dict,
)


def test_defaults_are_valid_and_round_trip(tmp_path):
    path = tmp_path / "settings.toml"
    settings = Settings()
    settings.vad.end_silence_ms = 550
    settings.llm.temperature = 0.2
    settings.conversation.mode = "ptt"
    save_settings(settings, path)
    loaded = load_settings(path)
    assert loaded == settings
    assert loaded.vad.end_silence_ms == 550


def test_missing_file_gives_defaults(tmp_path):
    assert load_settings(tmp_path / "nope.toml") == Settings()


@pytest.mark.parametrize("content", [
    "this is [ not toml",
    "[vad]\naggressiveness = 9\n",
    "[vad]\nno_such_key = 1\n",
    "[nonsense]\nx = 1\n",
    "[llm]\ntemperature = 'hot'\n",
])
def test_corrupt_or_invalid_file_is_moved_aside_with_one_warning(tmp_path, content):
    path = tmp_path / "settings.toml"
    path.write_text(content)
    warnings = []
    settings = load_settings(path, warn=warnings.append)
    assert settings == Settings()
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert str(path) in warnings[0]
    assert not path.exists()
    assert (tmp_path / "settings.toml.bak").read_text() == content


def test_binary_garbage_is_moved_aside(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_bytes(b"\xff\xfe\x00garbage\x80")
    warnings = []
    assert load_settings(path, warn=warnings.append) == Settings()
    assert (tmp_path / "settings.toml.bak").exists() and len(warnings) == 1


@pytest.mark.parametrize("key,value,fragment", [
    ("vad.aggressiveness", 4, "vad.aggressiveness must be between 0 and 3"),
    ("vad.preroll_ms", 100, "vad.preroll_ms must be between 300"),
    ("llm.temperature", -1, "llm.temperature"),
    ("conversation.mode", "always", "conversation.mode must be one of ptt, open-mic"),
    ("llm.context_size", "big", "llm.context_size must be a whole number"),
    ("tts.rate", 3.5, "tts.rate must be a whole number"),
    ("conversation.half_duplex", "maybe", "conversation.half_duplex must be true or false"),
])
def test_out_of_range_values_name_the_key(key, value, fragment):
    with pytest.raises(ConfigError) as err:
        set_value(Settings(), key, value)
    assert fragment in str(err.value)


def test_unknown_key_is_named():
    with pytest.raises(ConfigError, match="llm.flavour"):
        set_value(Settings(), "llm.flavour", 1)
    with pytest.raises(ConfigError, match="Unknown setting"):
        settings_from_dict({"vad": {"speed": 3}})


def test_values_are_coerced():
    settings = Settings()
    set_value(settings, "llm.temperature", "0.5")
    set_value(settings, "conversation.half_duplex", "true")
    set_value(settings, "vad.end_silence_ms", 450.0)
    assert settings.llm.temperature == 0.5
    assert settings.conversation.half_duplex is True
    assert settings.vad.end_silence_ms == 450


def test_cli_command_survives_an_invalid_settings_file(tmp_path, capsys):
    # a settings file with a bad value never stops a command: one warning, defaults used
    path = tmp_path / "s.toml"
    path.write_text("[vad]\naggressiveness = 7\n")
    code = main(["--config", str(path), "models", "list"])
    err = capsys.readouterr().err
    assert code == 0
    assert err.count("\n") == 1 and "vad.aggressiveness" in err and "defaults" in err
