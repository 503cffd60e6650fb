"""The LLM speed probe and its estimates: the arithmetic, the choice of a model to offer, the
cache and when it is measured again, bad models, `models speed`, and one real measurement of
the default model through llama.cpp."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from assistant.config import LlmSettings
from assistant.llm import speed
from assistant.llm.speed import SpeedMeasurement
from assistant.llm.speed_cache import SpeedCache
from assistant.llm.speed_estimate import expected_speeds, model_to_offer, scaled
from assistant.llm.speed_table import REFERENCE, speed_table
from assistant.modelstore.manager import ModelManager
from assistant.modelstore.registry import InstalledModel
from helpers.model_files import gguf_bytes

QWEN_05, QWEN_15, LLAMA_1 = ("qwen2.5-0.5b-instruct-q4_k_m", "qwen2.5-1.5b-instruct-q4_k_m",
                             "llama-3.2-1b-instruct-q4_k_m")
CATALOG_LLMS = [(REFERENCE, 134_515_008), (QWEN_05, 494_032_768), (LLAMA_1, 1_235_814_400),
                (QWEN_15, 1_543_714_304)]


def fake(ttft_ms: float, tokens_per_s: float = 100.0, model_id: str = REFERENCE):
    return SpeedMeasurement(model_id, ttft_ms, tokens_per_s, prompt_tokens=13, runs=5)


# --- the estimate ------------------------------------------------------------------------------

def test_an_estimate_scales_time_up_and_rate_down_by_the_parameter_ratio():
    ttft, rate = scaled(fake(50.0, 80.0), 100_000_000, 400_000_000)
    assert (ttft, rate) == (200.0, 20.0)
    ttft, rate = scaled(fake(57.0, 70.0), 134_515_008, 494_032_768)
    assert ttft == pytest.approx(57.0 * 3.6727, abs=0.1)  # 209.3 ms
    assert rate == pytest.approx(70.0 / 3.6727, abs=0.1)  # 19.1 tokens/s


def test_measured_models_are_marked_and_the_rest_estimated_from_the_nearest_in_size():
    speeds = expected_speeds(CATALOG_LLMS, {REFERENCE: fake(60.0)})
    assert [s.measured for s in speeds] == [True, False, False, False]
    assert {s.basis for s in speeds} == {REFERENCE}
    assert speeds[0].ttft_ms == 60.0
    assert speeds[1].ttft_ms == pytest.approx(60 * 494_032_768 / 134_515_008, abs=0.1)

    # with Qwen 0.5B measured too, Llama 1B and Qwen 1.5B are scaled from it, not the default
    both = expected_speeds(CATALOG_LLMS, {REFERENCE: fake(60.0),
                                          QWEN_05: fake(180.0, 25.0, QWEN_05)})
    assert [s.basis for s in both] == [REFERENCE, QWEN_05, QWEN_05, QWEN_05]
    assert both[1].measured and both[1].ttft_ms == 180.0
    assert both[3].ttft_ms == pytest.approx(180 * 1_543_714_304 / 494_032_768, abs=0.1)


def test_without_a_measurement_or_a_size_nothing_is_made_up():
    speeds = expected_speeds(CATALOG_LLMS + [("mine", None)], {})
    assert not any(s.known for s in speeds)
    mine = expected_speeds([(REFERENCE, 134_515_008), ("mine", None)], {REFERENCE: fake(60)})[1]
    assert mine.ttft_ms is None and mine.to_dict()["how"] == "unknown"


# --- the choice --------------------------------------------------------------------------------

def offer_for(ttft_ms: float, current: str = REFERENCE, installed=frozenset({REFERENCE})):
    speeds = expected_speeds(CATALOG_LLMS, {REFERENCE: fake(ttft_ms)})
    best = model_to_offer(speeds, current, set(installed))
    return best.model_id if best is not None else None


def test_a_fast_machine_is_offered_the_biggest_model():
    assert offer_for(20.0) == QWEN_15  # 1.54B estimated at 230 ms


def test_a_middling_machine_is_offered_the_biggest_that_stays_under_300_ms():
    assert offer_for(57.0) == QWEN_05  # 209 ms; Llama 1B would take 524 ms
    assert offer_for(30.0) == LLAMA_1  # 276 ms; Qwen 1.5B 344 ms


def test_a_slow_machine_is_offered_nothing():
    assert offer_for(90.0) is None  # even Qwen 0.5B would take 331 ms


def test_nothing_is_offered_when_it_is_installed_or_not_stronger_or_the_model_is_unknown():
    assert offer_for(20.0, installed={REFERENCE, QWEN_15}) is None
    assert offer_for(20.0, current=QWEN_15, installed={QWEN_15}) is None
    assert offer_for(57.0, current=LLAMA_1, installed={LLAMA_1}) is None  # smaller is no gain
    assert offer_for(20.0, current="/home/me/my-model.gguf") is None


# --- the cache ---------------------------------------------------------------------------------

FACTS = {"model_id": REFERENCE, "model_bytes": 98_362_432, "cpus": 2, "processor": "AMD EPYC",
         "llama_cpp": "0.3.36", "threads": 2, "reencode_slow_weights": True}


def test_a_measurement_is_kept_while_its_facts_hold(tmp_path):
    cache = SpeedCache(tmp_path / "llm-speed.json")
    assert cache.get(REFERENCE, FACTS) is None
    cache.put(fake(57.0), FACTS)
    assert SpeedCache(tmp_path / "llm-speed.json").get(REFERENCE, FACTS) == fake(57.0)
    for key, other in [("cpus", 8), ("llama_cpp", "0.3.40"), ("model_bytes", 1),
                       ("processor", "Apple M2"), ("threads", 1),
                       ("reencode_slow_weights", False)]:
        assert cache.get(REFERENCE, dict(FACTS, **{key: other})) is None, key
    assert cache.get(QWEN_05, dict(FACTS, model_id=QWEN_05)) is None


def test_a_corrupt_or_old_cache_counts_as_empty_and_is_rewritten(tmp_path):
    path = tmp_path / "llm-speed.json"
    path.write_text("{ not json")
    cache = SpeedCache(path)
    assert cache.get(REFERENCE, FACTS) is None
    cache.put(fake(57.0), FACTS)
    assert cache.get(REFERENCE, FACTS) == fake(57.0)
    path.write_text(json.dumps({"version": 0, "models": {}}))
    assert cache.get(REFERENCE, FACTS) is None


def test_the_facts_follow_the_machine_the_file_and_the_settings(tmp_path):
    model = tmp_path / "m.gguf"
    model.write_bytes(gguf_bytes(4096))
    facts = speed.machine_facts(REFERENCE, model, LlmSettings(threads=3))
    assert facts["cpus"] == os.cpu_count() and facts["threads"] == 3
    assert facts["model_bytes"] == 4096 and facts["llama_cpp"] == speed.llama_cpp_version()
    model.write_bytes(gguf_bytes(8192))
    assert speed.machine_facts(REFERENCE, model, LlmSettings(threads=3)) != facts


# --- the table: the probe is timed once, again when the facts change ---------------------------

@pytest.fixture
def installed_default(tmp_path):
    """A model store whose default LLM is a small fake GGUF (the probe is faked with it)."""
    manager = ModelManager(models_dir=tmp_path / "models")
    path = tmp_path / "models" / REFERENCE / "default.gguf"
    path.parent.mkdir(parents=True)
    path.write_bytes(gguf_bytes(4096))
    manager._register(InstalledModel(REFERENCE, "llm-gguf", "en", path, "catalog"))
    return manager, path


@pytest.fixture
def probe(monkeypatch):
    calls = []

    def measure(model_id, path, settings, **kwargs):
        calls.append(model_id)
        return fake(57.0, 70.0, model_id)

    monkeypatch.setattr(speed, "measure", measure)
    return calls


def test_the_default_is_timed_once_and_again_when_its_file_changes(installed_default, probe,
                                                                   tmp_path):
    manager, path = installed_default
    cache = SpeedCache(tmp_path / "llm-speed.json")
    settings = LlmSettings()
    assert not speed_table(manager, settings, cache).get(REFERENCE).known  # nothing timed
    table = speed_table(manager, settings, cache, measure="reference")
    assert probe == [REFERENCE]
    assert table.get(REFERENCE).measured and table.get(REFERENCE).ttft_ms == 57.0
    assert not table.get(QWEN_05).measured and table.get(QWEN_05).ttft_ms > 57.0
    speed_table(manager, settings, cache, measure="reference")
    assert probe == [REFERENCE]  # cached
    assert speed_table(manager, settings, cache).get(REFERENCE).measured  # read, not timed
    path.write_bytes(gguf_bytes(8192))  # a new file: its figure no longer holds
    speed_table(manager, settings, cache, measure="reference")
    assert probe == [REFERENCE, REFERENCE]
    speed_table(manager, settings, cache, measure="installed", again=True)
    assert probe == [REFERENCE] * 3


def test_a_damaged_default_is_one_line_not_a_traceback(installed_default, tmp_path):
    manager, path = installed_default
    path.write_bytes(b"GGUF" + bytes(10))  # a header cut short
    table = speed_table(manager, LlmSettings(), SpeedCache(tmp_path / "c.json"),
                        measure="reference")
    assert len(table.problems) == 1 and "\n" not in table.problems[0]
    assert "default.gguf" in table.problems[0]
    assert not any(s.known for s in table.speeds)


def test_a_registered_default_whose_file_is_gone_is_one_line(installed_default, tmp_path):
    manager, path = installed_default
    path.unlink()
    table = speed_table(manager, LlmSettings(), SpeedCache(tmp_path / "c.json"),
                        measure="installed")
    assert table.problems == [f"LLM model '{REFERENCE}' is registered but {path} is gone; run: "
                              f"voice-assistant models download {REFERENCE}"]
    assert not any(s.known for s in table.speeds)
    assert REFERENCE not in table.installed


# --- the catalog's sizes -----------------------------------------------------------------------

def test_every_catalog_llm_has_its_parameter_count_and_a_plausible_file_size():
    entries = {e.id: e for e in ModelManager().catalog() if e.kind == "llm-gguf"}
    assert {i: e.parameters for i, e in entries.items()} == dict(CATALOG_LLMS)
    for entry in entries.values():  # 4-bit weights, with a bigger embedding and output layer
        bits = entry.size * 8 / entry.parameters
        assert 4.5 < bits < 7.0, (entry.id, bits)


# --- the command -------------------------------------------------------------------------------

def run_cli(*args, env):
    return subprocess.run([sys.executable, "-m", "assistant.cli", "models", *args],
                          env=env, capture_output=True, text=True, timeout=120)


def test_models_speed_with_a_damaged_default_says_so_in_one_line(tmp_path):
    data = tmp_path / "data"
    manager = ModelManager(models_dir=data / "models")
    path = data / "models" / REFERENCE / "default.gguf"
    path.parent.mkdir(parents=True)
    path.write_bytes(gguf_bytes(4096))  # a whole GGUF, but no model llama.cpp can load
    manager._register(InstalledModel(REFERENCE, "llm-gguf", "en", path, "catalog"))
    env = dict(os.environ, VOICE_ASSISTANT_DATA_DIR=str(data),
               VOICE_ASSISTANT_CONFIG_DIR=str(tmp_path / "config"))
    result = run_cli("speed", env=env)
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "could not be loaded" in errors[0]
    assert "Traceback" not in result.stderr
    assert REFERENCE in result.stdout and "unknown" in result.stdout


# --- the real thing ----------------------------------------------------------------------------

@pytest.mark.slow
def test_the_default_model_is_timed_through_llama_cpp(tmp_path):
    from tests.responding_helpers import find_default_gguf

    path = find_default_gguf()
    result = speed.measure(REFERENCE, path, LlmSettings())
    assert result.runs == speed.RUNS
    assert 5 <= result.prompt_tokens <= 40  # the question and the assistant's header only
    assert 1.0 < result.ttft_ms < 2000.0
    assert 5.0 < result.tokens_per_s < 5000.0
    import gguf

    reader = gguf.GGUFReader(str(path))  # the catalog's count is the file's own
    assert sum(int(t.n_elements) for t in reader.tensors) == dict(CATALOG_LLMS)[REFERENCE]


def test_the_catalog_takes_parameters_only_for_llms_and_only_as_a_count():
    from assistant.errors import ModelError
    from assistant.modelstore.catalog import parse_entry

    base = {"id": "m", "kind": "llm-gguf", "language": "en", "size": 1000, "license": "MIT",
            "description": "d", "url": "https://example.org/m.gguf"}
    assert parse_entry(dict(base, parameters=494_032_768), "here").parameters == 494_032_768
    assert parse_entry(base, "here").parameters is None
    for bad, message in [({"parameters": 0}, "positive whole number"),
                         ({"parameters": "0.5B"}, "positive whole number"),
                         ({"parameters": True}, "positive whole number"),
                         ({"kind": "stt-vosk", "parameters": 5}, "only for llm-gguf")]:
        with pytest.raises(ModelError, match=message):
            parse_entry(dict(base, **bad), "here")
