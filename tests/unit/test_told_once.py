"""Notices said once: the Vosk notice is shown the first time, then remembered and only
logged; other notices are shown every time; an unreadable file counts as nothing told."""

from __future__ import annotations

import pytest

from assistant.stt.factory import fallback_notice
from assistant.told_once import OnceNotice, first_time


@pytest.fixture
def config_dir_env(tmp_path, monkeypatch):
    path = tmp_path / "config"
    monkeypatch.setenv("VOICE_ASSISTANT_CONFIG_DIR", str(path))
    return path


def test_a_once_notice_is_shown_the_first_time_only(tmp_path):
    path = tmp_path / "told.json"
    notice = fallback_notice("en-US")
    assert isinstance(notice, str) and notice.startswith("No Vosk model for 'en-US'")
    assert first_time(notice, path)
    assert not first_time(notice, path)
    assert not first_time(fallback_notice("en"), path)  # the same language, said otherwise
    assert first_time(fallback_notice("de"), path)  # another language is news


def test_other_notices_are_shown_every_time(tmp_path):
    path = tmp_path / "told.json"
    assert first_time("The new models are loaded.", path)
    assert first_time("The new models are loaded.", path)
    assert not path.exists()


def test_an_unreadable_file_counts_as_nothing_told(tmp_path):
    path = tmp_path / "told.json"
    path.write_text("{not json")
    assert first_time(OnceNotice("Said once.", key="x"), path)
    assert not first_time(OnceNotice("Said once.", key="x"), path)


def test_the_settings_folder_keeps_it(config_dir_env):
    assert first_time(fallback_notice("en"))
    assert (config_dir_env / "told.json").is_file()
    assert not first_time(fallback_notice("en"))
