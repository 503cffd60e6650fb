"""`voice-assistant models ...`: output, exit codes, one-line errors on stderr."""

import pytest

from helpers.http_server import FileServer, closed_port
from helpers.model_files import (
    PIPER_FILES,
    VOSK_FILES,
    WHISPER_FILES,
    entry,
    gguf_bytes,
    leftovers,
    sha256,
    tar_gz_bytes,
    write_catalog,
    write_tree,
)

from assistant.cli import main
from assistant.modelstore.manager import DEFAULT_MODEL_IDS


# the fake Vosk folders here have no real weights: Vosk is not asked to load them
pytestmark = pytest.mark.usefixtures("fake_vosk_models")


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("VOICE_ASSISTANT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VOICE_ASSISTANT_CONFIG_DIR", str(tmp_path / "config"))
    return tmp_path / "data"


@pytest.fixture
def server():
    with FileServer() as running:
        yield running


@pytest.fixture
def catalog(tmp_path, server, turn_model_bytes):
    gguf = gguf_bytes(80_000)
    whisper = tar_gz_bytes(WHISPER_FILES, prefix="tiny/")
    voice = tar_gz_bytes(PIPER_FILES, prefix="voice/")
    turn = turn_model_bytes
    return write_catalog(tmp_path / "catalog.toml", [
        entry(DEFAULT_MODEL_IDS[2], "turn-detector", url=server.add("/smart-turn.onnx", turn),
              size=len(turn), sha256=sha256(turn)),
        entry(DEFAULT_MODEL_IDS[0], "llm-gguf", url=server.add("/llm.gguf", gguf), size=len(gguf), sha256=sha256(gguf)),
        entry(DEFAULT_MODEL_IDS[1], "stt-whisper", url=server.add("/w.tar.gz", whisper), size=len(whisper),
              sha256=sha256(whisper)),
        entry(DEFAULT_MODEL_IDS[3], "tts-piper", url=server.add("/voice.tar.gz", voice),
              size=len(voice), sha256=sha256(voice)),
        entry("cut", "llm-gguf", url=server.add("/cut.gguf", gguf, cut_at=1000, cut_times=99), size=len(gguf),
              sha256=sha256(gguf)),
        entry("missing-upstream", "llm-gguf", url=server.url("/gone.gguf"), size=1000),
        entry("refused", "llm-gguf", url=f"http://127.0.0.1:{closed_port()}/x.gguf", size=1000),
        entry("approx", "stt-vosk", url="https://example.org/approx.zip", size=2_500_000_000, language="de"),
    ])


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    return lines[0]


def test_list_shows_available_and_installed(data_dir, catalog, capsys, tmp_path):
    folder = write_tree(tmp_path / "vosk-model-small-fr-0.22", VOSK_FILES)
    assert main(["models", "add", str(folder)]) == 0
    capsys.readouterr()
    assert main(["models", "list", "--catalog", str(catalog)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "KIND", "LANG", "SIZE", "CHECKSUM", "STATE", "PATH"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    # no checksum: said so, and its size is approximate
    assert rows["approx"] == ["approx", "stt-vosk", "de", "~2.5", "GB", "size", "only",
                              "available"]
    assert rows[DEFAULT_MODEL_IDS[0]][-2:] == ["sha256", "available"]
    assert rows["vosk-model-small-fr-0.22"][1:3] == ["stt-vosk", "fr"]
    assert rows["vosk-model-small-fr-0.22"][-2:] == ["added", str(folder)]


def test_download_then_list_then_remove(data_dir, catalog, capsys):
    model_id = DEFAULT_MODEL_IDS[0]
    assert main(["models", "download", model_id, "--catalog", str(catalog)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"installed {model_id} (sha256 verified) at ")
    assert main(["models", "--catalog", str(catalog), "download", model_id]) == 0
    assert "already installed" in capsys.readouterr().out
    assert main(["models", "list", "--catalog", str(catalog)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(model_id))
    assert "installed" in row and str(data_dir / "models" / model_id) in row
    assert main(["models", "remove", model_id]) == 0
    assert capsys.readouterr().out.strip() == f"removed {model_id}"
    assert leftovers(data_dir / "models") == []


def test_install_defaults_prints_one_line_per_model_and_is_quick_the_second_time(data_dir, catalog, capsys, server):
    assert main(["models", "install-defaults", "--catalog", str(catalog)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in lines] == list(DEFAULT_MODEL_IDS)
    assert all(": installed (sha256 verified) at " in line for line in lines)
    requests = len(server.requests)
    assert main(["models", "install-defaults", "--catalog", str(catalog)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(": already installed at " in line for line in lines)
    assert len(lines) == len(DEFAULT_MODEL_IDS)
    assert len(server.requests) == requests


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["models", "download", "no-such-model"], "no model 'no-such-model' in the catalog"),
        (["models", "download", "missing-upstream"], "HTTP 404"),
        (["models", "download", "refused"], "connection refused"),
        (["models", "download", "cut"], "closed after 1000 of 80000 bytes"),
        (["models", "remove", "approx"], "'approx' is not installed"),
    ],
)
def test_failures_are_one_line_with_non_zero_exit(data_dir, catalog, capsys, argv, expected):
    assert main([*argv, "--catalog", str(catalog)]) != 0
    assert expected in one_error_line(capsys)
    assert leftovers(data_dir / "models") == []


def test_add_refuses_a_random_file(data_dir, capsys, tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x00" * 64)
    assert main(["models", "add", str(junk)]) == 2
    assert "is not a model this app can use" in one_error_line(capsys)


def test_add_gguf_with_id_and_language(data_dir, capsys, tmp_path):
    path = tmp_path / "x.gguf"
    path.write_bytes(gguf_bytes(1000))
    assert main(["models", "add", str(path), "--id", "mine", "--language", "fr"]) == 0
    assert capsys.readouterr().out.strip() == f"added mine (llm-gguf, language fr) at {path}"
    assert main(["models", "remove", "mine"]) == 0
    assert "its files at" in capsys.readouterr().out
    assert path.exists()


def test_broken_catalog_is_one_line(data_dir, capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[models]]\nid = 3\n")
    assert main(["models", "list", "--catalog", str(bad)]) == 2
    assert "must be a non-empty string" in one_error_line(capsys)
