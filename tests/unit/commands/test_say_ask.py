"""`voice-assistant say` and `voice-assistant ask`, through the real command line."""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
import soundfile

from assistant import cli
from assistant.audio.speaker import RecordingSpeaker
from assistant.config import Settings
from assistant.events import PlaybackStarted
from tests.responding_helpers import TEN_WORDS, find_default_gguf, rms


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No user settings or models leak in; a settings file is passed explicitly."""
    monkeypatch.setenv("VOICE_ASSISTANT_CONFIG_DIR", str(tmp_path / "config"))
    config = tmp_path / "settings.toml"
    config.write_text("[llm]\ntemperature = 0.0\nmax_tokens = 120\n")
    return config


@pytest.fixture
def no_output_device(monkeypatch):
    sd = pytest.importorskip("sounddevice")

    def no_device(*args, **kwargs):
        raise sd.PortAudioError("Error querying device -1")

    monkeypatch.setattr(sd, "query_devices", no_device)


@pytest.fixture
def recording_speaker(monkeypatch):
    """Replace the device with a recording speaker; returns the list of speakers made."""
    made = []

    def open_speaker(settings, instead=""):
        speaker = RecordingSpeaker(realtime=False, sample_rate=22050)
        speaker.events = []
        speaker.report_to(speaker.events.append)
        speaker.start()
        made.append(speaker)
        return speaker

    monkeypatch.setattr("assistant.commands.say.open_speaker", open_speaker)
    return made


def _played(speaker) -> np.ndarray:
    blocks = speaker.played_blocks()
    return np.concatenate([b for _, b in blocks]) if blocks else np.zeros(0, np.float32)


def test_say_writes_a_wav(isolated, tmp_path, capsys):
    out = tmp_path / "out" / "hello.wav"
    assert cli.main(["--config", str(isolated), "say", TEN_WORDS, "--out", str(out)]) == 0
    audio, rate = soundfile.read(out, dtype="float32")
    assert rate == 22050 and 1.5 <= len(audio) / rate <= 6.0 and rms(audio) > 0.01
    assert "wrote" in capsys.readouterr().err


def test_say_strips_markup_before_speaking(isolated, tmp_path):
    plain, marked = tmp_path / "plain.wav", tmp_path / "marked.wav"
    cli.main(["--config", str(isolated), "say", "Hello there. Good day.", "--out", str(plain)])
    cli.main(["--config", str(isolated), "say", "**Hello** there 😀. *Good* day.", "--out",
              str(marked)])
    a, _ = soundfile.read(plain)
    b, _ = soundfile.read(marked)
    assert abs(len(a) - len(b)) < 0.1 * len(a)  # no "asterisk" was spoken


def test_say_plays_through_the_speaker(isolated, recording_speaker):
    assert cli.main(["--config", str(isolated), "say", "First sentence here. Then a second."]) == 0
    speaker = recording_speaker[0]
    audio = _played(speaker)
    assert len(audio) / speaker.sample_rate > 1.0 and rms(audio) > 0.01
    names = [type(e).__name__ for e in speaker.events]
    assert names[0] == "PlaybackStarted" and names[-1] == "PlaybackFinished"
    assert [e.text for e in speaker.events if type(e).__name__ == "ChunkPlaybackStarted"] == [
        "First sentence here.", "Then a second."]


def test_say_without_output_device_is_one_line(isolated, no_output_device, capsys):
    assert cli.main(["--config", str(isolated), "say", "hello"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: No usable audio output device") and "\n" not in err


def test_say_with_nothing_speakable(isolated, capsys):
    assert cli.main(["--config", str(isolated), "say", "😀 ** ---", "--out", "x.wav"]) == 2
    assert "nothing to say" in capsys.readouterr().err


def test_ask_without_output_device_is_one_line(isolated, no_output_device, capsys):
    assert cli.main(["--config", str(isolated), "ask", "hello"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: No usable audio output device") and "\n" not in err


def test_ask_with_a_missing_model_is_one_line(isolated, tmp_path, capsys):
    missing = tmp_path / "missing.gguf"
    assert cli.main(["--config", str(isolated), "ask", "hi", "--no-speak", "--llm-model",
                     str(missing)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err and "missing.gguf" in err


@pytest.mark.slow
def test_ask_no_speak_prints_the_reply(isolated, capsys):
    gguf = find_default_gguf()
    args = ["--config", str(isolated), "ask", "What is the capital of France?", "--no-speak",
            "--llm-model", str(gguf)]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert out.strip() and out.endswith("\n")


@pytest.mark.slow
def test_ask_streams_tokens_to_stdout_before_it_ends(isolated):
    gguf = find_default_gguf()
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "--config", str(isolated), "ask",
         "Tell me a long story about a brave little dragon.", "--no-speak", "--llm-model",
         str(gguf)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = proc.stdout.read(1)  # returns as soon as the first token is flushed
    still_running = proc.poll() is None
    rest, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    assert first and still_running and len(first + rest) > 40


@pytest.mark.slow
def test_ask_speaks_while_the_model_is_still_writing(isolated, recording_speaker, monkeypatch):
    gguf = find_default_gguf()
    from assistant.llm.engine import LlmEngine

    finished_at = []
    original = LlmEngine.stream_reply

    class Timed:
        """The real token stream, noting when its last token came."""

        def __init__(self, stream, engine):
            self.stream, self.engine = stream, engine

        def __getattr__(self, name):  # n_tokens, finish_reason
            return getattr(self.stream, name)

        def __iter__(self):
            try:
                yield from self.stream
            finally:
                finished_at.append(self.engine.clock.now_ns())

    def timed(self, messages, generation=0):
        return Timed(original(self, messages, generation), self)

    monkeypatch.setattr(LlmEngine, "stream_reply", timed)
    started = time.perf_counter()
    assert cli.main(["--config", str(isolated), "ask", "Tell me a long story about a brave "
                     "little dragon.", "--llm-model", str(gguf), "--sentences", "0"]) == 0
    assert time.perf_counter() - started < 120
    speaker = recording_speaker[0]
    first_played = [e.t_ns for e in speaker.events if isinstance(e, PlaybackStarted)]
    assert first_played and first_played[0] < finished_at[0]
    assert rms(_played(speaker)) > 0.005


@pytest.mark.slow
def test_ask_keeps_the_conversation_s_sentence_budget(isolated, capsys):
    from assistant.evaluation.replies import sentence_count

    gguf = find_default_gguf()
    question = ["ask", "Tell me everything you know about the moon.", "--no-speak",
                "--llm-model", str(gguf)]
    assert cli.main(["--config", str(isolated), *question]) == 0
    budgeted = capsys.readouterr().out.strip()
    assert 1 <= sentence_count(budgeted) <= Settings().conversation.max_reply_sentences
    assert cli.main(["--config", str(isolated), *question, "--sentences", "0"]) == 0
    unlimited = capsys.readouterr().out.strip()
    assert sentence_count(unlimited) > sentence_count(budgeted)  # the same greedy reply, longer
    assert unlimited.startswith(budgeted)


def test_ask_refuses_a_negative_budget_before_loading_anything(isolated, capsys):
    assert cli.main(["--config", str(isolated), "ask", "hi", "--no-speak", "--sentences",
                     "-1"]) == 2
    assert capsys.readouterr().err.strip() == "error: --sentences takes 0 (no limit) or more."


def _time_in_tokyo() -> set[str]:
    """What the time skill may say for Tokyo now (the minute may turn meanwhile)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from assistant.skills.quantities import say_clock

    now = time.time()
    return {f"In Tokyo it's {say_clock(datetime.fromtimestamp(t, ZoneInfo('Asia/Tokyo')))}."
            for t in (now - 60, now, now + 60)}


def test_ask_tells_the_time_in_a_city_without_the_llm(isolated, tmp_path, capsys):
    missing = tmp_path / "missing.gguf"  # never needed: the skill answers
    assert cli.main(["--config", str(isolated), "ask", "What time is it in Tokyo?",
                     "--no-speak", "--llm-model", str(missing)]) == 0
    assert capsys.readouterr().out.strip() in _time_in_tokyo()


def test_ask_sets_no_timer_and_says_where_one_can_be_set(isolated, tmp_path, capsys):
    from assistant.commands.ask import NO_TIMERS

    missing = tmp_path / "missing.gguf"
    assert cli.main(["--config", str(isolated), "ask", "Set a timer for ten minutes",
                     "--no-speak", "--llm-model", str(missing)]) == 0
    assert capsys.readouterr().out.strip() == NO_TIMERS
    assert "listen" in NO_TIMERS and "app" in NO_TIMERS


def test_ask_with_local_skills_off_goes_to_the_llm(isolated, tmp_path, capsys):
    isolated.write_text(isolated.read_text() + "[conversation]\nlocal_skills = false\n")
    missing = tmp_path / "missing.gguf"
    assert cli.main(["--config", str(isolated), "ask", "What time is it in Tokyo?",
                     "--no-speak", "--llm-model", str(missing)]) == 2
    assert "missing.gguf" in capsys.readouterr().err


def test_ask_speaks_the_skill_s_answer(isolated, recording_speaker, tmp_path, capsys):
    missing = tmp_path / "missing.gguf"
    assert cli.main(["--config", str(isolated), "ask", "What time is it in Tokyo?",
                     "--llm-model", str(missing)]) == 0
    printed = capsys.readouterr().out.strip()
    speaker = recording_speaker[0]
    assert rms(_played(speaker)) > 0.01
    spoken = [e.text for e in speaker.events if type(e).__name__ == "ChunkPlaybackStarted"]
    assert " ".join(spoken) == printed and printed in _time_in_tokyo()
