"""Slow weight types re-encoded once into Q8_0 (assistant/llm/reencode.py), with the real
default model (SmolLM2-135M-Instruct, shipped as Q4_1)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from assistant.config import LlmSettings
from assistant.llm import reencode
from assistant.llm.engine import LlmEngine
from assistant.llm.history import ChatHistory
from tests.responding_helpers import find_default_gguf

pytestmark = pytest.mark.slow

PROMPTS = ("What is the capital of France?", "How do I boil an egg?",
           "Tell me a fun fact about octopuses.")


@pytest.fixture(scope="module")
def gguf():
    return find_default_gguf()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICE_ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def started(gguf, **settings) -> LlmEngine:
    engine = LlmEngine(LlmSettings(temperature=0.0, max_tokens=40, **settings), gguf)
    engine.start()
    return engine


def next_token_choices(engine: LlmEngine, prompt: str, reply_tokens: list[int]) -> list[int]:
    """The token the model ranks first at each position of a given reply (teacher forcing):
    comparing these compares the two models step by step, without one early difference
    sending the rest of a greedy reply elsewhere."""
    llm = engine._llm
    prompt_text = engine.render_prompt(ChatHistory(engine.settings.system_prompt)
                                       .messages_for(prompt))
    llm.reset()
    llm.eval(llm.tokenize(prompt_text.encode(), add_bos=False, special=True))
    choices = []
    for token in reply_tokens:
        choices.append(int(np.argmax(llm.scores[llm.n_tokens - 1])))
        llm.eval([token])
    return choices


def test_the_copy_answers_like_the_original(gguf, data_dir):
    original = started(gguf, reencode_slow_weights=False)
    try:
        assert original.loaded_path == gguf
        assert reencode.file_type(original._llm.metadata) == 3  # Q4_1
        replies = [original._llm.tokenize("".join(original.stream_reply(p)).encode(),
                                          add_bos=False) for p in PROMPTS]
        expected = [next_token_choices(original, p, r) for p, r in zip(PROMPTS, replies)]
    finally:
        original.close()
    copy = started(gguf)
    try:
        assert copy.loaded_path != gguf
        got = [next_token_choices(copy, p, r) for p, r in zip(PROMPTS, replies)]
    finally:
        copy.close()
    same = sum(a == b for e, g in zip(expected, got) for a, b in zip(e, g))
    total = sum(len(e) for e in expected)
    assert total >= 60
    print(f"{same} of {total} next-token choices agree")
    assert same / total >= 0.9, f"only {same} of {total} next-token choices agree"


def test_the_copy_is_made_once_and_reused(gguf, data_dir, monkeypatch):
    started(gguf).close()
    copy = reencode.cached_copy(gguf)
    made = copy.stat().st_ino

    def must_not_run(*args, **kwargs):
        raise AssertionError("re-encoded a second time")

    monkeypatch.setattr(reencode, "reencode", must_not_run)
    engine = started(gguf)
    engine.close()
    assert engine.loaded_path == copy
    assert copy.stat().st_ino == made


def test_a_damaged_copy_is_made_again(gguf, data_dir):
    copy = reencode.cached_copy(gguf)
    copy.parent.mkdir(parents=True)
    copy.write_bytes(b"GGUF" + b"\0" * 100)
    engine = started(gguf)
    try:
        assert engine.loaded_path == copy
        assert copy.stat().st_size > 100_000_000
        assert "".join(engine.stream_reply(PROMPTS[0])).strip()
    finally:
        engine.close()


def test_a_changed_source_gets_a_new_copy_and_the_old_one_goes(gguf, data_dir, tmp_path):
    source = tmp_path / "model.Q4_1.gguf"
    source.write_bytes(gguf.read_bytes())
    first = reencode.reencode(source)
    assert first is not None and first.is_file()
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 10**9))
    second = reencode.reencode(source)
    assert second != first and second.is_file()
    assert not first.exists()


def test_the_cache_keeps_only_the_most_recently_used_copies(gguf, data_dir, tmp_path):
    folder = reencode.cache_folder()
    folder.mkdir(parents=True)
    others = []
    for age in range(4):  # copies of other models, used 1, 2, 3 and 4 hours ago
        other = folder / f"other{age}-0123456789ab.Q8_0.gguf"
        other.write_bytes(b"GGUF")
        os.utime(other, (0, other.stat().st_mtime - 3600 * (age + 1)))
        others.append(other)
    source = tmp_path / "model.Q4_1.gguf"
    source.write_bytes(gguf.read_bytes())
    made = reencode.reencode(source)
    kept = sorted(folder.glob("*.Q8_0.gguf"))
    assert len(kept) == reencode.KEEP_COPIES
    assert set(kept) == {made, *others[: reencode.KEEP_COPIES - 1]}


def test_only_slow_types_are_worth_it(gguf):
    assert reencode.worth_reencoding(gguf, {"general.file_type": "3"})  # Q4_1
    assert reencode.worth_reencoding(gguf, {"general.file_type": "9"})  # Q5_1
    assert not reencode.worth_reencoding(gguf, {"general.file_type": "7"})  # Q8_0
    assert not reencode.worth_reencoding(gguf, {"general.file_type": "15"})  # Q4_K_M
    assert not reencode.worth_reencoding(gguf, {})
