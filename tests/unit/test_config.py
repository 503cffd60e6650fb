import os

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
    settings.llm.temperature = 0.4
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
def test_corrupt_or_invalid_file_is_kept_aside_with_one_warning(tmp_path, content):
    path = tmp_path / "settings.toml"
    path.write_text(content)
    warnings = []
    settings = load_settings(path, warn=warnings.append)
    assert settings == Settings()
    assert len(warnings) == 1 and "\n" not in warnings[0]
    assert str(path) in warnings[0]
    assert not path.exists()
    [backup] = tmp_path.glob("settings.toml.bak-*")
    assert backup.read_text() == content and str(backup) in warnings[0]


def test_binary_garbage_is_kept_aside(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_bytes(b"\xff\xfe\x00garbage\x80")
    warnings = []
    assert load_settings(path, warn=warnings.append) == Settings()
    assert len(list(tmp_path.glob("settings.toml.bak-*"))) == 1 and len(warnings) == 1


def test_a_second_bad_file_never_overwrites_the_first_backup(tmp_path):
    path = tmp_path / "settings.toml"
    for content in ("first = [", "second = [", "third = ["):
        path.write_text(content)
        load_settings(path, warn=lambda message: None)
    backups = sorted(p.read_text() for p in tmp_path.glob("settings.toml.bak-*"))
    assert backups == ["first = [", "second = [", "third = ["]


def test_a_folder_is_never_moved(tmp_path):
    folder = tmp_path / "settings.toml"
    folder.mkdir()
    (folder / "mine.txt").write_text("keep me")
    warnings = []
    assert load_settings(folder, warn=warnings.append) == Settings()
    assert len(warnings) == 1 and "folder" in warnings[0] and "left it as it is" in warnings[0]
    assert (folder / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.toml"]
    with pytest.raises(ConfigError, match="folder"):
        save_settings(Settings(), folder)
    assert (folder / "mine.txt").read_text() == "keep me"


def test_a_missing_file_given_on_purpose_says_so_and_is_not_created(tmp_path):
    path = tmp_path / "nowhere" / "s.toml"
    warnings = []
    assert load_settings(path, warn=warnings.append) == Settings()
    assert len(warnings) == 1 and "does not exist" in warnings[0] and str(path) in warnings[0]
    assert not (tmp_path / "nowhere").exists()


def test_the_default_file_missing_is_a_quiet_first_start(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICE_ASSISTANT_CONFIG_DIR", str(tmp_path / "config"))
    warnings = []
    assert load_settings(warn=warnings.append) == Settings()
    assert warnings == [] and not (tmp_path / "config").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file_is_left_alone(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[vad]\naggressiveness = 1\n")
    path.chmod(0)
    warnings = []
    assert load_settings(path, warn=warnings.append) == Settings()
    assert len(warnings) == 1 and "cannot be read" in warnings[0]
    path.chmod(0o600)
    assert path.read_text() == "[vad]\naggressiveness = 1\n"
    assert list(tmp_path.glob("*.bak*")) == []


def test_a_device_or_fifo_is_not_a_settings_file(tmp_path):
    fifo = tmp_path / "settings.toml"
    os.mkfifo(fifo)
    warnings = []
    assert load_settings(fifo, warn=warnings.append) == Settings()  # never blocks reading it
    assert "not a regular file" in warnings[0] and fifo.exists()


def test_a_linked_settings_file_is_saved_through_the_link(tmp_path):
    real = tmp_path / "dotfiles" / "settings.toml"
    real.parent.mkdir()
    real.write_text("[vad]\naggressiveness = 1\n")
    link = tmp_path / "settings.toml"
    link.symlink_to(real)
    settings = load_settings(link)
    assert settings.vad.aggressiveness == 1
    settings.vad.aggressiveness = 3
    save_settings(settings, link)
    assert link.is_symlink() and load_settings(real).vad.aggressiveness == 3


def test_a_corrupt_file_behind_a_link_is_not_moved(tmp_path):
    real = tmp_path / "elsewhere.toml"
    real.write_text("oops = [")
    link = tmp_path / "settings.toml"
    link.symlink_to(real)
    warnings = []
    assert load_settings(link, warn=warnings.append) == Settings()
    assert "left it in place" in warnings[0]
    assert link.is_symlink() and real.read_text() == "oops = ["


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


def test_a_path_through_a_file_is_left_alone(tmp_path):
    blocker = tmp_path / "config"
    blocker.write_text("a file where a folder was expected")
    warnings = []
    assert load_settings(blocker / "settings.toml", warn=warnings.append) == Settings()
    assert len(warnings) == 1 and "cannot be reached" in warnings[0]
    assert blocker.read_text() == "a file where a folder was expected"
    with pytest.raises(ConfigError):
        save_settings(Settings(), blocker / "settings.toml")
