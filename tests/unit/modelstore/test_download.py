"""Downloads against a real local HTTP server: success, resume, and every way it can go wrong.

Each failure must end in one clear DownloadError and never a half-installed model.
"""

import threading
import time
import zipfile

import pytest

from helpers.http_server import FileServer, closed_port
from helpers.model_files import (
    VOSK_FILES,
    WHISPER_FILES,
    entry,
    gguf_bytes,
    leftovers,
    sha256,
    tar_gz_bytes,
    write_catalog,
    zip_bytes,
    zip_with_symlink,
)

from assistant.errors import DownloadError
from assistant.modelstore.manager import DownloadCancelled, Limits, ModelManager


# the fake Vosk folders here have no real weights: Vosk is not asked to load them
pytestmark = pytest.mark.usefixtures("fake_vosk_models")


@pytest.fixture
def server():
    with FileServer() as running:
        yield running


def manager_for(tmp_path, entries, **options):
    catalog = write_catalog(tmp_path / "catalog.toml", entries)
    options.setdefault("timeout", 5.0)
    return ModelManager(models_dir=tmp_path / "models", catalog_path=catalog, **options)


def assert_not_installed(manager, model_id):
    assert manager.get_installed(model_id) is None
    assert not (manager.models_dir / model_id).exists()
    assert leftovers(manager.models_dir) == []


def gguf_entry(server, model_id="tiny-llm", data=None, **fields):
    data = gguf_bytes() if data is None else data
    url = server.add(f"/{model_id}.gguf", data, **fields.pop("route", {}))
    fields.setdefault("size", len(data))
    fields.setdefault("sha256", sha256(data))
    return entry(model_id, "llm-gguf", url=url, **fields), data


# --- success ----------------------------------------------------------------------------------


def test_single_file_download_installs_and_verifies(tmp_path, server):
    spec, data = gguf_entry(server)
    manager = manager_for(tmp_path, [spec])
    seen = []
    model = manager.download("tiny-llm", progress=lambda done, total: seen.append((done, total)))
    assert model.path == manager.models_dir / "tiny-llm" / "tiny-llm.gguf"
    assert model.path.read_bytes() == data
    assert model.verification == "sha256 verified"
    assert seen[-1] == (len(data), len(data))
    assert manager.get_installed("tiny-llm") == model
    assert manager.resolve("llm-gguf", "tiny-llm") == model.path
    assert manager.partial_download("tiny-llm") is None
    assert leftovers(manager.models_dir) == ["tiny-llm"]
    assert manager.download("tiny-llm") == model  # already installed: no second request
    assert len(server.requests_for("/tiny-llm.gguf")) == 1


def test_zip_download_unpacks_the_member_folder(tmp_path, server):
    data = zip_bytes(VOSK_FILES, prefix="vosk-model-test/")
    url = server.add("/vosk.zip", data)
    spec = entry("vosk-test", "stt-vosk", url=url, size=len(data), sha256=sha256(data), member="vosk-model-test/")
    manager = manager_for(tmp_path, [spec])
    model = manager.download("vosk-test")
    assert model.path == manager.models_dir / "vosk-test"
    assert (model.path / "am" / "final.mdl").read_bytes() == VOSK_FILES["am/final.mdl"]
    assert manager.resolve("stt-vosk", "vosk-test") == model.path
    assert manager.partial_download("vosk-test") is None
    assert leftovers(manager.models_dir) == ["vosk-test"]


def test_tar_gz_download_strips_the_single_top_folder(tmp_path, server):
    data = tar_gz_bytes(WHISPER_FILES, prefix="whisper-tiny-ct2/")
    url = server.add("/whisper.tar.gz", data)
    spec = entry("whisper-test", "stt-whisper", url=url, size=len(data), sha256=sha256(data))
    manager = manager_for(tmp_path, [spec])
    model = manager.download("whisper-test")
    assert model.path == manager.models_dir / "whisper-test"
    assert (model.path / "model.bin").read_bytes() == WHISPER_FILES["model.bin"]
    assert manager.find_installed("stt-whisper", "en") == [model]


def test_without_sha256_the_size_is_checked(tmp_path, server):
    data = gguf_bytes(150_000)
    spec, _ = gguf_entry(server, data=data, sha256=None, size=140_000)  # approximate
    del spec["sha256"]
    manager = manager_for(tmp_path, [spec])
    assert manager.download("tiny-llm").verification == "sha256 unknown, size checked"


def test_without_sha256_a_far_off_size_is_refused(tmp_path, server):
    page = b"<html>" + b"x" * 5000 + b"</html>"  # an error page served as 200
    url = server.add("/page", page)
    spec = entry("tiny-llm", "llm-gguf", url=url, size=10_000_000)
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match="catalog expects about"):
        manager.download("tiny-llm")
    assert_not_installed(manager, "tiny-llm")
    assert manager.partial_download("tiny-llm") is None


# --- cut connections and resume ---------------------------------------------------------------


def test_cut_download_resumes_with_range(tmp_path, server):
    data = gguf_bytes(300_000)
    spec, _ = gguf_entry(server, data=data, route={"cut_at": 120_000, "cut_times": 1})
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match=r"closed after 120000 of 300000 bytes.*again to resume"):
        manager.download("tiny-llm")
    assert_not_installed(manager, "tiny-llm")
    part = manager.partial_download("tiny-llm")
    assert part is not None and part.stat().st_size == 120_000

    model = manager.download("tiny-llm")
    assert model.path.read_bytes() == data
    requests = server.requests_for("/tiny-llm.gguf")
    assert "Range" not in requests[0]
    assert requests[1]["Range"] == "bytes=120000-"
    assert manager.partial_download("tiny-llm") is None


def test_server_ignoring_range_restarts_cleanly(tmp_path, server):
    data = gguf_bytes(300_000)
    spec, _ = gguf_entry(server, data=data, route={"cut_at": 100_000, "cut_times": 1, "honour_range": False})
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError):
        manager.download("tiny-llm")
    assert manager.download("tiny-llm").path.read_bytes() == data


def test_truncated_body_is_an_error(tmp_path, server):
    spec, _ = gguf_entry(server, route={"cut_at": 50_000, "cut_times": 99})
    manager = manager_for(tmp_path, [spec])
    for _ in range(2):  # the resumed attempt is cut too
        with pytest.raises(DownloadError, match="connection closed after"):
            manager.download("tiny-llm")
        assert_not_installed(manager, "tiny-llm")


def test_complete_part_from_an_earlier_run_is_verified_not_refetched(tmp_path, server):
    spec, data = gguf_entry(server)
    manager = manager_for(tmp_path, [spec])
    part = manager.downloads_dir / "tiny-llm--tiny-llm.gguf.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(data)
    assert manager.download("tiny-llm").path.read_bytes() == data


# --- bad content ------------------------------------------------------------------------------


def test_wrong_checksum_is_refused_and_the_part_deleted(tmp_path, server):
    spec, _ = gguf_entry(server, sha256="0" * 64)
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match="failed its checksum"):
        manager.download("tiny-llm")
    assert_not_installed(manager, "tiny-llm")
    assert manager.partial_download("tiny-llm") is None


def test_wrong_size_with_known_checksum_is_refused(tmp_path, server):
    spec, data = gguf_entry(server)
    spec["size"] = len(data) + 1
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match="catalog expects"):
        manager.download("tiny-llm")
    assert_not_installed(manager, "tiny-llm")


def test_a_checksum_without_an_exact_size_checks_the_size_roughly(tmp_path, server):
    # as the catalog's vosk-model-small-en-us-0.15: its sha256 is published, its size is not
    spec, data = gguf_entry(server, approximate_size=True)
    spec["size"] = int(len(data) * 1.2)
    manager = manager_for(tmp_path, [spec])
    assert manager.download("tiny-llm").path.is_file()
    bad, _ = gguf_entry(server, "other-llm", approximate_size=True, sha256="0" * 64)
    manager = manager_for(tmp_path / "b", [bad])
    with pytest.raises(DownloadError, match="failed its checksum"):
        manager.download("other-llm")  # the hash is still exact
    assert_not_installed(manager, "other-llm")


def test_archive_without_the_model_layout_is_refused(tmp_path, server):
    data = zip_bytes({"README.txt": b"not a model"}, prefix="something/")
    url = server.add("/junk.zip", data)
    spec = entry("vosk-test", "stt-vosk", url=url, size=len(data), sha256=sha256(data))
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match="not a usable model.*am/final.mdl"):
        manager.download("vosk-test")
    assert_not_installed(manager, "vosk-test")


# --- network failures -------------------------------------------------------------------------


def test_http_404(tmp_path, server):
    spec = entry("tiny-llm", "llm-gguf", url=server.url("/missing.gguf"), size=1000)
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match="HTTP 404.*out of date") as info:
        manager.download("tiny-llm")
    assert "\n" not in str(info.value)
    assert_not_installed(manager, "tiny-llm")


def test_http_500(tmp_path, server):
    spec, _ = gguf_entry(server, route={"status": 500})
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match="HTTP 500.*try again later"):
        manager.download("tiny-llm")
    assert_not_installed(manager, "tiny-llm")


def test_stalled_server_times_out(tmp_path, server):
    spec, _ = gguf_entry(server, route={"stall_after": 10_000})
    manager = manager_for(tmp_path, [spec], timeout=0.5)
    start = time.monotonic()
    with pytest.raises(DownloadError, match=r"for 0\.5 s .*network timeout"):
        manager.download("tiny-llm")
    assert time.monotonic() - start < 4
    assert_not_installed(manager, "tiny-llm")


def test_connection_refused(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/model.gguf"
    manager = manager_for(tmp_path, [entry("tiny-llm", "llm-gguf", url=url, size=1000)])
    with pytest.raises(DownloadError, match="connection refused"):
        manager.download("tiny-llm")
    assert_not_installed(manager, "tiny-llm")


def test_cancel_leaves_nothing_installed(tmp_path, server):
    spec, data = gguf_entry(server, data=gguf_bytes(2_000_000))
    manager = manager_for(tmp_path, [spec])
    cancel = threading.Event()

    def progress(done, total):
        if done > 0:
            cancel.set()

    with pytest.raises(DownloadCancelled):
        manager.download("tiny-llm", progress=progress, cancel=cancel)
    assert_not_installed(manager, "tiny-llm")
    assert manager.download("tiny-llm").path.read_bytes() == data  # resumes afterwards


# --- hostile archives -------------------------------------------------------------------------


def archive_entry(server, name, data, kind="stt-vosk", **fields):
    url = server.add(f"/{name}", data)
    return entry("evil", kind, url=url, size=len(data), sha256=sha256(data), **fields)


def test_zip_with_parent_entries_is_refused(tmp_path, server):
    files = dict(VOSK_FILES)
    files["../../escaped.txt"] = b"owned"
    spec = archive_entry(server, "slip.zip", zip_bytes(files))
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match="unsafe entry '../../escaped.txt'"):
        manager.download("evil")
    assert_not_installed(manager, "evil")
    assert not list(tmp_path.rglob("escaped.txt"))


def test_zip_with_absolute_entry_is_refused(tmp_path, server):
    files = dict(VOSK_FILES)
    files["/tmp/absolute.txt"] = b"owned"
    spec = archive_entry(server, "abs.zip", zip_bytes(files))
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match="unsafe entry"):
        manager.download("evil")
    assert_not_installed(manager, "evil")


def test_zip_with_symlink_is_refused(tmp_path, server):
    spec = archive_entry(server, "link.zip", zip_with_symlink("model/am", "/etc"))
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match="symbolic link"):
        manager.download("evil")
    assert_not_installed(manager, "evil")


def test_zip_bomb_over_the_size_limit_is_refused(tmp_path, server):
    files = dict(VOSK_FILES)
    files["graph/HCLG.fst"] = bytes(4_000_000)  # zeros: ~4 KB compressed
    spec = archive_entry(server, "bomb.zip", zip_bytes(files, prefix="m/"))
    manager = manager_for(tmp_path, [spec], limits=Limits(max_bytes=1_000_000, max_ratio=1e9))
    with pytest.raises(DownloadError, match="over the limit of 1000000.*zip bomb"):
        manager.download("evil")
    assert_not_installed(manager, "evil")


def test_zip_bomb_by_ratio_is_refused_with_default_size_limit(tmp_path, server):
    files = dict(VOSK_FILES)
    files["graph/HCLG.fst"] = bytes(4_000_000)
    spec = archive_entry(server, "bomb.zip", zip_bytes(files, prefix="m/"))
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match="times its size.*zip bomb"):
        manager.download("evil")
    assert_not_installed(manager, "evil")


def test_zip_bomb_with_lying_headers_is_stopped_while_writing(tmp_path):
    from assistant.modelstore.unpack import unpack_zip

    archive = tmp_path / "liar.zip"
    archive.write_bytes(zip_bytes({"big.bin": bytes(3_000_000)}))
    # Shrink the declared size in the central directory so the up-front check passes.
    with zipfile.ZipFile(archive) as zf:
        assert zf.infolist()[0].file_size == 3_000_000
    data = bytearray(archive.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    with pytest.raises(DownloadError):
        unpack_zip(archive, tmp_path / "out", limits=Limits(max_bytes=1_000_000, max_ratio=1e9))


def test_tar_with_symlink_is_refused(tmp_path, server):
    data = tar_gz_bytes(VOSK_FILES, prefix="m/", links={"conf/model.conf": "/etc/passwd"})
    spec = archive_entry(server, "link.tar.gz", data)
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match="contains a link 'm/conf/model.conf'"):
        manager.download("evil")
    assert_not_installed(manager, "evil")


def test_tar_with_hardlink_is_refused(tmp_path, server):
    data = tar_gz_bytes(VOSK_FILES, prefix="m/", hardlinks={"graph/HCLG.fst": "/etc/shadow"})
    spec = archive_entry(server, "hard.tar.gz", data)
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match="contains a link"):
        manager.download("evil")
    assert_not_installed(manager, "evil")


def test_tar_with_parent_entry_is_refused(tmp_path, server):
    data = tar_gz_bytes({**VOSK_FILES, "../escaped.txt": b"owned"})
    spec = archive_entry(server, "slip.tar.gz", data)
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match="unsafe entry"):
        manager.download("evil")
    assert_not_installed(manager, "evil")
    assert not list(tmp_path.rglob("escaped.txt"))


def test_corrupt_archive_is_refused(tmp_path, server):
    spec = archive_entry(server, "broken.zip", b"PK\x03\x04 this is not really a zip" * 10)
    manager = manager_for(tmp_path, [spec])
    with pytest.raises(DownloadError, match="not a valid zip"):
        manager.download("evil")
    assert_not_installed(manager, "evil")
