"""The LLM engine with the real default model (SmolLM2-135M-Instruct, Q4_1)."""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest

from assistant.clock import ManualClock
from assistant.config import LlmSettings
from assistant.errors import ModelError
from assistant.llm.engine import LlmEngine, physical_cores
from assistant.llm.native import LLAMA_NICENESS
from tests.responding_helpers import find_default_gguf

pytestmark = pytest.mark.slow

STORY = "Tell me a long story about a brave little dragon who learns to fly."


@pytest.fixture(scope="module")
def gguf():
    return find_default_gguf()


@pytest.fixture(scope="module")
def engine(gguf):
    engine = LlmEngine(LlmSettings(temperature=0.0, max_tokens=120), gguf)
    engine.start()
    yield engine
    engine.close()


def test_constructor_is_cheap(gguf):
    engine = LlmEngine(LlmSettings(), gguf, clock=ManualClock())
    assert not engine.loaded


def test_uses_the_chat_template_from_the_gguf(engine):
    assert engine.chat_format == "gguf"
    assert engine._llm.chat_format == "chat_template.default"  # Jinja2ChatFormatter
    prompt = engine.render_prompt(engine.new_history().messages_for("Hello"))
    assert prompt.startswith("<|im_start|>system\n" + LlmSettings().system_prompt + "<|im_end|>")
    assert prompt.endswith("<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n")


def test_threads_zero_means_physical_cores_and_warm_up_ran(engine):
    assert engine._llm.n_threads == physical_cores()
    assert engine._llm.n_tokens > 0  # the warm-up left the system prompt in the KV cache


def test_tokens_stream_before_the_reply_ends(engine):
    times, tokens = [], []
    started = time.perf_counter()
    stream = engine.stream_reply(engine.new_history().messages_for(STORY))
    for token in stream:
        times.append(time.perf_counter())
        tokens.append(token)
    finished = time.perf_counter()
    assert len(tokens) >= 5 and all(isinstance(t, str) and t for t in tokens)
    assert times[0] < times[-1] < finished
    assert times[0] - started < (finished - started) / 2
    assert stream.finish_reason in ("stop", "length")
    assert stream.n_tokens == len(tokens)


def test_plain_text_is_sent_with_the_system_prompt(engine):
    reply = "".join(engine.stream_reply("What is the capital of France?"))
    assert reply.strip()


def test_cancel_from_another_thread_stops_within_one_token(engine):
    received: list[tuple[float, str]] = []
    cancelled_at: list[float] = []

    def cancel():
        engine.cancel()
        cancelled_at.append(time.perf_counter())

    canceller = None
    stream = engine.stream_reply(STORY, generation=7)
    for token in stream:
        received.append((time.perf_counter(), token))
        if len(received) == 3:
            canceller = threading.Thread(target=cancel)
            canceller.start()
            canceller.join()
    after = [t for t, _ in received if t > cancelled_at[0]]
    assert len(received) >= 3 and len(after) <= 1
    assert stream.finish_reason == "cancelled"
    next_reply = engine.stream_reply("Say hello.")
    assert "".join(next_reply).strip()  # the next reply works
    assert next_reply.finish_reason in ("stop", "length")


def test_cancel_while_the_prompt_is_processed(engine):
    stream = engine.stream_reply(STORY + " Make it very long and detailed, please.")
    timer = threading.Timer(0.001, engine.cancel)
    timer.start()
    tokens = list(stream)
    timer.join()
    assert len(tokens) <= 1 or stream.finish_reason == "cancelled"


def test_history_trimming_fits_the_real_context(gguf):
    settings = LlmSettings(context_size=256, max_tokens=64, temperature=0.0)
    engine = LlmEngine(settings, gguf)
    engine.start()
    history = engine.new_history()
    for i in range(40):
        history.add_exchange(f"Question {i}: what is {i} plus {i}?", f"It is {2 * i}.")
    messages = history.messages_for("And what is two plus two?")
    prompt_tokens = engine.count_tokens(engine.render_prompt(messages))
    assert prompt_tokens <= 256 - 64
    assert messages[0]["role"] == "system" and messages[-2]["content"] == "It is 78."
    assert "".join(engine.stream_reply(messages)).strip()  # llama accepts it
    engine.close()


def test_gguf_without_template_falls_back_to_chatml(gguf, tmp_path):
    data = gguf.read_bytes()
    assert data.count(b"tokenizer.chat_template") == 1
    copy = tmp_path / "no-template.gguf"
    copy.write_bytes(data.replace(b"tokenizer.chat_template", b"tokenizer.chat_templatX"))
    engine = LlmEngine(LlmSettings(temperature=0.0, max_tokens=20), copy)
    engine.start()
    assert engine.chat_format == "chatml" and engine._llm.chat_format == "chatml"
    prompt = engine.render_prompt([{"role": "system", "content": "S"}, {"role": "user", "content": "Hi"}])
    assert prompt == "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    assert "".join(engine.stream_reply("What is the capital of France?")).strip()
    engine.close()


def _broken_files(gguf, tmp_path):
    truncated = tmp_path / "truncated.gguf"
    with open(gguf, "rb") as src:
        truncated.write_bytes(src.read(3_000_000))
    damaged = tmp_path / "damaged.gguf"
    data = bytearray(gguf.read_bytes())
    data[200:4000] = b"\xff" * 3800
    damaged.write_bytes(bytes(data))
    text = tmp_path / "notes.gguf"
    text.write_text("this is not a model")
    empty = tmp_path / "empty.gguf"
    empty.write_bytes(b"")
    other = tmp_path / "model.bin"
    shutil.copyfile(__file__, other)
    return [truncated, damaged, text, empty, other, tmp_path / "missing.gguf"]


def test_bad_files_give_one_clear_line_and_no_llama_noise(gguf, tmp_path, capfd):
    files = _broken_files(gguf, tmp_path)
    capfd.readouterr()
    for path in files:
        with pytest.raises(ModelError) as info:
            LlmEngine(LlmSettings(), path).start()
        message = str(info.value)
        assert "\n" not in message and path.name in message, message
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_every_llama_call_runs_on_one_thread(gguf):
    """libgomp gives each calling thread its own worker pool; calls from several threads
    would leave more pool threads than CPUs and halve the speed (assistant/llm/native.py)."""
    engine = LlmEngine(LlmSettings(temperature=0.0, max_tokens=4), gguf)
    engine.start()
    seen, niceness = [], []
    llama = engine._llm
    create = llama.create_chat_completion
    complete = llama.create_completion

    def record(fn):
        def wrapper(*args, **kwargs):
            seen.append(threading.get_ident())
            niceness.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
            return fn(*args, **kwargs)
        return wrapper

    llama.create_chat_completion = record(create)
    llama.create_completion = record(complete)
    try:
        def reply():
            assert "".join(engine.stream_reply("Hello!")).strip()

        callers = [threading.Thread(target=reply) for _ in range(2)]
        for caller in callers:
            caller.start()
            caller.join()
        reply()
        assert engine.prefill(engine.new_history().messages_for("Tell me a story"), "Tell me")
    finally:
        engine.close()
    assert len(seen) >= 4  # a chat completion calls create_completion too
    assert len(set(seen)) == 1
    assert seen[0] not in {threading.get_ident(), *(c.ident for c in callers)}
    # below the audio threads, so that its spinning workers never keep the listener waiting
    assert set(niceness) == {LLAMA_NICENESS}


def test_a_fixed_seed_gives_the_same_sampled_reply_every_time(gguf):
    engine = LlmEngine(LlmSettings(temperature=1.0, max_tokens=24, seed=7), gguf)
    engine.start()
    try:
        first = "".join(engine.stream_reply("Tell me something surprising."))
        engine.prefill(engine.new_history().messages_for("Another question"), "Another")
        second = "".join(engine.stream_reply("Tell me something surprising."))
    finally:
        engine.close()
    assert first.strip() and first == second
