"""Settings: typed dataclasses with defaults and validation, stored as one TOML file.

A corrupt or invalid file never stops the app: it is kept as `<name>.bak-<timestamp>`, one
warning line is printed, and the defaults are used; a path that is not a usable file (missing,
a folder, unreadable) is never touched. Values set from code or the command line are
validated the same way and rejected with a message naming the key.
"""

from __future__ import annotations

import dataclasses
import os
import stat
import sys
import tempfile
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

import tomli_w

from assistant.errors import UserError, first_line
from assistant.paths import default_config_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


class ConfigError(UserError):
    """A setting has a value it cannot take."""


def _range(lo: float, hi: float) -> dict:
    return {"range": (lo, hi)}


def _choice(*options: str) -> dict:
    return {"choices": options}


DEFAULT_SYSTEM_PROMPT = (
    "You are a friendly voice assistant. Your replies are spoken aloud, so answer in one to "
    "three short sentences of plain conversational text. Never use markdown, lists, code, "
    "emoji or symbols. Say numbers the way a person would say them."
)


@dataclass
class AudioSettings:
    input_device: str = ""  # name, index, or "" for the system default
    output_device: str = ""
    frame_ms: int = field(default=20, metadata=_choice(10, 20, 30))
    output_block_ms: int = field(default=20, metadata=_range(5, 100))


@dataclass
class VadSettings:
    aggressiveness: int = field(default=2, metadata=_range(0, 3))
    start_speech_ms: int = field(default=120, metadata=_range(20, 1000))
    end_silence_ms: int = field(default=400, metadata=_range(100, 3000))
    preroll_ms: int = field(default=300, metadata=_range(300, 2000))


@dataclass
class ConversationSettings:
    mode: str = field(default="open-mic", metadata=_choice("ptt", "open-mic"))
    barge_in: bool = True
    barge_in_min_speech_ms: int = field(default=80, metadata=_range(40, 2000))
    # speech that resumes this soon after the end of a spoken turn goes on with that turn (a
    # pause mid-sentence, not a new question): the reply just begun is dropped and the words
    # before and after the pause are answered as one; 0: every resumption is a new turn
    continuation_ms: int = field(default=1000, metadata=_range(0, 5000))
    half_duplex: bool = False
    half_duplex_tail_ms: int = field(default=300, metadata=_range(0, 3000))
    speculative_start: bool = True
    speculative_silence_ms: int = field(default=120, metadata=_range(60, 3000))
    max_reply_sentences: int = field(default=2, metadata=_range(0, 100))  # 0 = no limit
    # the time and date, timers and alarms, "stop", "say that again": answered without the
    # LLM (assistant/skills)
    local_skills: bool = True
    echo_cancellation: bool = True
    log_conversations: bool = True


@dataclass
class TurnSettings:
    """When is the user done? "smart": at each pause of `check_silence_ms` the end-of-turn
    model is asked; sure enough (`threshold`) that the sentence is complete, the turn ends at
    once; otherwise it stays open up to `max_silence_ms` of silence. "silence": the turn ends
    after `vad.end_silence_ms` of silence (also what happens without the model)."""

    detector: str = field(default="smart", metadata=_choice("smart", "silence"))
    model: str = "smart-turn-v3.2-cpu"  # catalog id or an .onnx path
    threshold: float = field(default=0.5, metadata=_range(0.05, 0.99))
    check_silence_ms: int = field(default=150, metadata=_range(40, 2000))
    max_silence_ms: int = field(default=1500, metadata=_range(200, 5000))


@dataclass
class SttSettings:
    engine: str = field(default="auto", metadata=_choice("auto", "vosk", "whisper"))
    language: str = "en"
    vosk_model: str = ""  # catalog id or folder; "" picks the installed one for the language
    whisper_model: str = "whisper-tiny"
    # decode an utterance at its own length, not padded to Whisper's 30 s window (faster;
    # guarded against runaway output, which falls back to the full window); only for the
    # catalog models where that was measured as accurate (trimmed_decode in the catalog)
    whisper_trimmed: bool = True
    # words on screen while the user talks: the utterance so far decoded again about every
    # 400 ms at its own length (costs CPU while the user talks, never delays the reply)
    whisper_live_partials: bool = True


@dataclass
class LlmSettings:
    model: str = "smollm2-135m-instruct-q4_1"  # catalog id or a .gguf path
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    context_size: int = field(default=2048, metadata=_range(256, 131072))
    threads: int = field(default=0, metadata=_range(0, 256))  # 0 = physical cores
    temperature: float = field(default=0.2, metadata=_range(0.0, 2.0))
    top_p: float = field(default=0.95, metadata=_range(0.0, 1.0))
    min_p: float = field(default=0.05, metadata=_range(0.0, 1.0))
    top_k: int = field(default=40, metadata=_range(0, 1000))  # 0 = all tokens
    repeat_penalty: float = field(default=1.15, metadata=_range(0.5, 2.0))  # 1 = none
    max_tokens: int = field(default=200, metadata=_range(1, 8192))
    gpu_layers: int = field(default=0, metadata=_range(-1, 1000))  # -1 = all
    # run Q4_1/Q5 weights as a Q8_0 copy made once (llama.cpp's CPU kernels for Q8_0 are the
    # faster ones; see assistant/llm/reencode.py)
    reencode_slow_weights: bool = True
    # sampling seed of every reply (-1: a different one each time); the bench fixes it so that
    # the same words get the same reply in both of its modes
    seed: int = field(default=-1, metadata=_range(-1, 2**31 - 1))


@dataclass
class TtsSettings:
    # piper's default voice (joe) gives way to espeak-ng where it is missing or too slow
    # (assistant/tts/factory.py)
    engine: str = field(default="piper", metadata=_choice("espeak", "piper"))
    voice: str = ""  # espeak voice name, or a piper catalog id / .onnx path; "" = default
    rate: int = field(default=175, metadata=_range(80, 450))  # words per minute
    cache_entries: int = field(default=256, metadata=_range(0, 10000))


@dataclass
class ApiSettings:
    # the desktop app also serves the local API (docs/API.md) from its own conversation
    enabled: bool = False
    port: int = field(default=8765, metadata=_range(1, 65535))  # on 127.0.0.1 only
    # /v1/transcribe refuses longer recordings (413), read from the file's header
    max_audio_minutes: int = field(default=10, metadata=_range(1, 180))


@dataclass
class Settings:
    audio: AudioSettings = field(default_factory=AudioSettings)
    vad: VadSettings = field(default_factory=VadSettings)
    conversation: ConversationSettings = field(default_factory=ConversationSettings)
    turn: TurnSettings = field(default_factory=TurnSettings)
    stt: SttSettings = field(default_factory=SttSettings)
    llm: LlmSettings = field(default_factory=LlmSettings)
    tts: TtsSettings = field(default_factory=TtsSettings)
    api: ApiSettings = field(default_factory=ApiSettings)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def copy(self) -> "Settings":
        return settings_from_dict(self.to_dict())


SECTIONS = {f.name: f.default_factory for f in fields(Settings)}  # type: ignore[misc]


def _coerce(key: str, f: dataclasses.Field, value: Any) -> Any:
    """Convert `value` to the field's type and check its bounds; raise ConfigError naming `key`."""
    kind = type(f.default)
    if kind is bool:
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            value = value.lower() in ("true", "1", "yes")
        if not isinstance(value, bool):
            raise ConfigError(f"Setting {key} must be true or false, not {value!r}.")
    elif kind is int:
        try:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            value = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"Setting {key} must be a whole number, not {value!r}.") from None
    elif kind is float:
        try:
            if isinstance(value, bool):
                raise ValueError
            value = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"Setting {key} must be a number, not {value!r}.") from None
    elif kind is str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ConfigError(f"Setting {key} must be text, not {value!r}.")
    rng = f.metadata.get("range")
    if rng and not (rng[0] <= value <= rng[1]):
        raise ConfigError(f"Setting {key} must be between {rng[0]} and {rng[1]}, not {value}.")
    choices = f.metadata.get("choices")
    if choices and value not in choices:
        allowed = ", ".join(str(c) for c in choices)
        raise ConfigError(f"Setting {key} must be one of {allowed}, not {value!r}.")
    return value


def settings_from_dict(data: dict) -> Settings:
    """Build validated settings; unknown sections or keys are errors (they are usually typos)."""
    if not isinstance(data, dict):
        raise ConfigError("Settings must be a table of sections.")
    settings = Settings()
    for section_name, section_data in data.items():
        if section_name not in SECTIONS:
            known = ", ".join(SECTIONS)
            raise ConfigError(f"Unknown settings section [{section_name}]; known: {known}.")
        if not isinstance(section_data, dict):
            raise ConfigError(f"Settings section [{section_name}] must be a table.")
        section = getattr(settings, section_name)
        by_name = {f.name: f for f in fields(section)}
        for key, value in section_data.items():
            if key not in by_name:
                raise ConfigError(f"Unknown setting {section_name}.{key}.")
            setattr(section, key, _coerce(f"{section_name}.{key}", by_name[key], value))
    return settings


def set_value(settings: Settings, dotted_key: str, value: Any) -> None:
    """Set one setting by `section.key`, validated."""
    section_name, _, key = dotted_key.partition(".")
    section = getattr(settings, section_name, None)
    if section_name not in SECTIONS or section is None:
        raise ConfigError(f"Unknown setting {dotted_key}.")
    by_name = {f.name: f for f in fields(section)}
    if key not in by_name:
        raise ConfigError(f"Unknown setting {dotted_key}.")
    setattr(section, key, _coerce(dotted_key, by_name[key], value))


def validate(settings: Settings) -> Settings:
    """Re-check every value (after code changed fields directly); returns a validated copy."""
    return settings_from_dict(settings.to_dict())


def load_settings(path: Path | None = None, warn: Callable[[str], None] | None = None) -> Settings:
    """Read settings from `path` (default: the user config file).

    The person's files are never lost: a path that is missing, a folder, not a regular file,
    or unreadable gets one warning line and the defaults, and is left exactly as it is. A
    regular file of ours that cannot be parsed or holds invalid values is kept as
    `<name>.bak-<timestamp>` (never over an earlier backup), one warning goes to `warn`
    (stderr by default), and the defaults are returned. A missing default file is simply a
    first start: no warning.
    """
    explicit = path is not None
    path = Path(path).expanduser() if explicit else default_config_file()
    warn = warn or (lambda message: print(message, file=sys.stderr))
    problem = _unusable(path)
    if problem == "missing":
        if explicit:
            warn(f"warning: settings file {path} does not exist; using defaults (saving "
                 "settings will create it).")
        return Settings()
    if problem:
        warn(f"warning: settings file {path} {problem}; left it as it is and using defaults.")
        return Settings()
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        warn(f"warning: settings file {path} cannot be read ({exc.strerror or exc}); left it "
             "as it is and using defaults.")
        return Settings()
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        return _set_aside(path, exc, warn)
    try:
        return settings_from_dict(data)
    except ConfigError as exc:
        return _set_aside(path, exc, warn)


def _unusable(path: Path) -> str:
    """Why `path` cannot be our settings file ("" when it is a regular file we may use)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return "missing"
    except OSError as exc:
        return f"cannot be reached ({exc.strerror or exc})"
    if stat.S_ISLNK(info.st_mode):
        try:
            info = path.stat()
        except OSError:
            return "is a broken symbolic link"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if not os.access(path, os.R_OK):
        return "cannot be read (permission denied)"
    return ""


def _set_aside(path: Path, exc: Exception, warn: Callable[[str], None]) -> Settings:
    """A corrupt settings file: keep it under a new name, never over an earlier backup. Only a
    regular file of the person running the app is renamed (not a link, not someone else's)."""
    reason = first_line(exc)
    where = "left it in place"
    info = path.lstat()
    if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid():
        backup = _free_backup_name(path)
        try:
            os.link(path, backup)  # fails rather than replace an existing backup
            os.unlink(path)
            where = f"kept it as {backup}"
        except OSError:
            pass
    warn(f"warning: settings file {path} is invalid ({reason}); {where} and using defaults.")
    return Settings()


def _free_backup_name(path: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.bak-{stamp}")
    n = 2
    while candidate.exists() or candidate.is_symlink():
        candidate = path.with_name(f"{path.name}.bak-{stamp}-{n}")
        n += 1
    return candidate


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write settings atomically (temporary file, fsync, rename). A symbolic link is followed
    (a settings file kept elsewhere stays where it is); a path that is not a regular file is
    refused with a ConfigError and left alone."""
    path = Path(path).expanduser() if path else default_config_file()
    if path.is_symlink():
        path = path.resolve()
    problem = _unusable(path)
    if problem and problem != "missing":
        raise ConfigError(f"Cannot save the settings to {path}: it {problem}; choose a file "
                          "path with --config.")
    path.parent.mkdir(parents=True, exist_ok=True)
    data = validate(settings).to_dict()
    fd, tmp = tempfile.mkstemp(prefix=".settings-", suffix=".toml", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            tomli_w.dump(data, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
