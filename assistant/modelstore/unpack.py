"""Unpacking downloaded archives without trusting them.

Refused: entries whose path leaves the target folder (`..`, absolute paths, drive letters),
symbolic and hard links, device files, and archives whose unpacked size is absurd in total or
relative to the archive (a zip bomb). Sizes are counted while writing, so lying headers do not
help. Only regular files and folders are created, with ordinary permissions.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO, Callable, Iterator

from assistant.errors import DownloadError
from assistant.modelstore.download import DownloadCancelled

DEFAULT_MAX_UNPACKED_BYTES = 64 * 1024**3
DEFAULT_MAX_RATIO = 100.0  # unpacked / packed; real model archives stay far below 10
DEFAULT_MAX_ENTRIES = 100_000
_CHUNK = 1 << 20


class Limits:
    """Bounds for one archive. `max_ratio` applies once an archive unpacks to more than 1 MiB."""

    def __init__(
        self,
        max_bytes: int = DEFAULT_MAX_UNPACKED_BYTES,
        max_ratio: float = DEFAULT_MAX_RATIO,
        max_entries: int = DEFAULT_MAX_ENTRIES,
    ):
        self.max_bytes = max_bytes
        self.max_ratio = max_ratio
        self.max_entries = max_entries


def safe_relative(name: str, label: str) -> PurePosixPath:
    """The entry name as a relative path, or DownloadError when it could escape the target."""
    clean = name.replace("\\", "/")
    parts = [p for p in clean.split("/") if p not in ("", ".")]
    if (
        clean.startswith("/")
        or "\x00" in clean
        or ".." in parts
        or (parts and len(parts[0]) >= 2 and parts[0][1] == ":")
    ):
        raise DownloadError(
            f"Archive {label} has an unsafe entry {name!r} (it points outside its folder); "
            "it was not unpacked."
        )
    return PurePosixPath(*parts) if parts else PurePosixPath(".")


def _under_member(rel: PurePosixPath, member: str | None) -> PurePosixPath | None:
    """`rel` relative to the member folder, the member file's name, or None if outside it."""
    if member is None:
        return rel
    if member.endswith("/"):
        prefix = PurePosixPath(member.rstrip("/"))
        if rel == prefix or prefix not in rel.parents:
            return None
        return rel.relative_to(prefix)
    return PurePosixPath(rel.name) if rel == PurePosixPath(member) else None


class _Budget:
    def __init__(self, archive: Path, label: str, limits: Limits):
        self.name = label
        self.limits = limits
        self.packed = max(archive.stat().st_size, 1)
        self.written = 0
        self.entries = 0

    def refuse(self, why: str) -> DownloadError:
        return DownloadError(
            f"Archive {self.name} {why}; it looks like a zip bomb and was not unpacked."
        )

    def check_total(self, total: int) -> None:
        if total > self.limits.max_bytes:
            raise self.refuse(f"would unpack to {total} bytes, over the limit of {self.limits.max_bytes}")
        if total > (1 << 20) and total / self.packed > self.limits.max_ratio:
            raise self.refuse(
                f"would unpack to {total / self.packed:.0f} times its size (limit {self.limits.max_ratio:g})"
            )

    def count_entry(self) -> None:
        self.entries += 1
        if self.entries > self.limits.max_entries:
            raise self.refuse(f"has more than {self.limits.max_entries} entries")

    def add(self, n: int) -> None:
        self.written += n
        self.check_total(self.written)


def _write(src: IO[bytes], target: Path, budget: _Budget, cancelled: Callable[[], bool]) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        for block in iter(lambda: src.read(_CHUNK), b""):
            budget.add(len(block))
            out.write(block)
            if cancelled():
                raise DownloadCancelled()


def _zip_members(zf: zipfile.ZipFile, label: str) -> Iterator[tuple[zipfile.ZipInfo, PurePosixPath]]:
    for info in zf.infolist():
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise DownloadError(
                f"Archive {label} contains a symbolic link {info.filename!r}; it was not unpacked."
            )
        yield info, safe_relative(info.filename, label)


def unpack_zip(
    archive: Path, dest: Path, member: str | None = None, limits: Limits | None = None,
    cancelled: Callable[[], bool] = lambda: False, label: str | None = None,
) -> int:
    """Unpack the zip (or wheel) `archive` into `dest`; only `member` when given. Returns the
    number of files written. `label` names the archive in messages."""
    limits = limits or Limits()
    label = label or archive.name
    budget = _Budget(archive, label, limits)
    try:
        with zipfile.ZipFile(archive) as zf:
            chosen = []
            for info, rel in _zip_members(zf, label):
                budget.count_entry()
                target_rel = _under_member(rel, member)
                if target_rel is not None:
                    chosen.append((info, target_rel))
            budget.check_total(sum(info.file_size for info, _ in chosen))
            files = 0
            for info, target_rel in chosen:
                target = _inside(dest, target_rel, label)
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                with zf.open(info) as src:
                    _write(src, target, budget, cancelled)
                files += 1
    except zipfile.BadZipFile as exc:
        raise DownloadError(f"Archive {label} is not a valid zip file ({exc}).") from None
    _require_files(files, label, member)
    return files


def unpack_tar(
    archive: Path, dest: Path, member: str | None = None, limits: Limits | None = None,
    cancelled: Callable[[], bool] = lambda: False, label: str | None = None,
) -> int:
    """Unpack the tar (optionally compressed) `archive` into `dest`; only `member` when given."""
    limits = limits or Limits()
    label = label or archive.name
    budget = _Budget(archive, label, limits)
    files = 0
    try:
        with tarfile.open(archive, "r:*") as tf:
            for info in tf:
                budget.count_entry()
                rel = safe_relative(info.name, label)
                if info.issym() or info.islnk():
                    raise DownloadError(
                        f"Archive {label} contains a link {info.name!r}; it was not unpacked."
                    )
                if not (info.isdir() or info.isreg()):
                    raise DownloadError(
                        f"Archive {label} contains a special file {info.name!r}; it was not unpacked."
                    )
                target_rel = _under_member(rel, member)
                if target_rel is None:
                    continue
                target = _inside(dest, target_rel, label)
                if info.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                budget.check_total(budget.written + info.size)
                src = tf.extractfile(info)
                if src is None:  # pragma: no cover - isreg() members always have data
                    continue
                with src:
                    _write(src, target, budget, cancelled)
                files += 1
    except (tarfile.TarError, EOFError) as exc:
        raise DownloadError(f"Archive {label} is not a valid tar.gz file ({exc}).") from None
    _require_files(files, label, member)
    return files


def _inside(dest: Path, rel: PurePosixPath, label: str) -> Path:
    target = dest.joinpath(*rel.parts) if rel.parts else dest
    real_dest = os.path.realpath(dest)
    if os.path.commonpath([real_dest, os.path.realpath(target)]) != real_dest:
        raise DownloadError(f"Archive {label} has an entry that leaves its folder; it was not unpacked.")
    return target


def _require_files(files: int, label: str, member: str | None) -> None:
    if files == 0:
        what = f"nothing under {member!r}" if member else "no files"
        raise DownloadError(
            f"Archive {label} holds {what}; the catalog entry is out of date."
        )


def single_top_folder(folder: Path) -> Path:
    """Archives usually wrap the model in one folder; return it, or `folder` when not so."""
    children = list(folder.iterdir())
    if len(children) == 1 and children[0].is_dir():
        return children[0]
    return folder


def remove_tree(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)
