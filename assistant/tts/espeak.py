"""espeak-ng through pyttsx3: the default voice, fast enough to need no GPU.

pyttsx3 is not thread-safe, keeps one engine per process and its run loop cannot be entered
twice (the "run loop already started" error and the hangs people report on a second
`runAndWait`). So exactly one daemon thread in the process owns the pyttsx3 engine; every
`EspeakEngine` sends it render jobs and waits only for its own result. Each job renders to a
temporary WAV with `save_to_file` + `runAndWait`. Empty text never reaches pyttsx3: its espeak
driver loops forever when asked to say nothing.

espeak-ng runs asynchronously under pyttsx3 (a command queue with its own thread). A rate set
just before `runAndWait` lands while that queue is busy: the driver then cancels the next
utterance (an empty WAV) and the rate takes effect one utterance late. So voice and rate are
set only when they change, the queue is drained, and one throwaway utterance is rendered; an
empty result for speakable text is retried once.

If pyttsx3 cannot start, or a job does not come back in time, the engine falls back to the
`espeak-ng --stdout` command for the rest of the process and says so once in the log.

Odd text: it is sanitized first (lone surrogates and control characters would crash the
encoding), long text is rendered a sentence at a time (`split_for_synthesis`), so audio starts
soon and each render has a bounded time, and a piece written in another script (Korean,
Chinese, Arabic, Cyrillic...) is read by espeak-ng's voice for it when the configured voice
does not read that script; an English voice would spell it out ("Chinese letter ...").
"""

from __future__ import annotations

import atexit
import logging
import queue
import shutil
import struct
import subprocess
import tempfile
import threading
import time
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from assistant.errors import ModelError
from assistant.tts.base import TtsEngine, to_float32

log = logging.getLogger(__name__)

DEFAULT_VOICE = "en-us"

# script: (code point ranges, espeak-ng voice that reads it, languages whose voices read it)
SCRIPTS = {
    "hangul": (((0xAC00, 0xD7AF), (0x1100, 0x11FF), (0x3130, 0x318F)), "ko", {"ko"}),
    "kana": (((0x3040, 0x30FF), (0x31F0, 0x31FF)), "ja", {"ja"}),
    "han": (((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0xF900, 0xFAFF)), "cmn",
            {"cmn", "yue", "hak", "zh", "ja"}),
    "arabic": (((0x0600, 0x06FF), (0x0750, 0x077F), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)), "ar",
               {"ar", "fa", "ur", "ps", "sd", "ug", "ku"}),
    "cyrillic": (((0x0400, 0x04FF), (0x0500, 0x052F)), "ru",
                 {"ru", "uk", "bg", "sr", "be", "mk", "kk", "ky", "tt", "ba", "cv", "mn"}),
    "greek": (((0x0370, 0x03FF), (0x1F00, 0x1FFF)), "el", {"el", "grc"}),
    "hebrew": (((0x0590, 0x05FF),), "he", {"he"}),
    "devanagari": (((0x0900, 0x097F),), "hi", {"hi", "mr", "ne", "sa", "kok", "bpy"}),
    "thai": (((0x0E00, 0x0E7F),), "th", {"th"}),
}


def dominant_script(text: str) -> str | None:
    """The script of most of the letters in `text`, among SCRIPTS; None for Latin and others."""
    counts: dict[str, int] = {}
    letters = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        code = ord(ch)
        for script, (ranges, _, _) in SCRIPTS.items():
            if any(lo <= code <= hi for lo, hi in ranges):
                counts[script] = counts.get(script, 0) + 1
                break
    if counts.get("kana"):  # Japanese mixes kana with kanji
        counts["kana"] += counts.pop("han", 0)
    if not counts:
        return None
    script, count = max(counts.items(), key=lambda item: item[1])
    return script if count * 2 > letters else None


class _Pyttsx3Worker:
    """The one thread that owns the process's pyttsx3 engine."""

    _shared: "_Pyttsx3Worker | None" = None
    _shared_lock = threading.Lock()

    @classmethod
    def shared(cls) -> "_Pyttsx3Worker":
        with cls._shared_lock:
            if cls._shared is None or cls._shared.broken:
                cls._shared = cls()
            return cls._shared

    def __init__(self):
        self.broken = False
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._ready: Future = Future()
        self._dir = Path(tempfile.mkdtemp(prefix="va-espeak-"))
        atexit.register(shutil.rmtree, self._dir, True)
        self._count = 0
        self._applied: tuple[str, int] | None = None
        self._thread = threading.Thread(target=self._run, name="pyttsx3", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float) -> None:
        self._ready.result(timeout)  # re-raises the start-up error

    def call(self, fn: Callable, timeout: float):
        """Run `fn(engine)` on the worker thread; wait at most `timeout` seconds."""
        future: Future = Future()
        self._jobs.put((fn, future))
        try:
            return future.result(timeout)
        except FutureTimeout:
            self.broken = True  # a stuck run loop never recovers; later jobs get a new path
            raise

    def render(self, text: str, voice: str, rate: int, timeout: float) -> tuple[np.ndarray, int]:
        def job(engine):
            if self._applied != (voice, rate):
                engine.setProperty("voice", voice)
                engine.setProperty("rate", rate)
                self._drain()
                self._render_once(engine, "a")  # lets the new settings take effect
                self._applied = (voice, rate)
            samples, sample_rate = self._render_once(engine, text)
            if not len(samples):
                log.debug("pyttsx3 returned no audio for %r; retrying once", text[:40])
                self._drain()
                samples, sample_rate = self._render_once(engine, text)
            return samples, sample_rate

        return self.call(job, timeout)

    def _render_once(self, engine, text: str) -> tuple[np.ndarray, int]:
        self._count += 1
        path = self._dir / f"{self._count}.wav"
        engine.save_to_file(text, str(path))
        engine.runAndWait()
        try:
            return _read_wav(path.read_bytes())
        except FileNotFoundError:
            return np.zeros(0, dtype=np.int16), 22050
        finally:
            path.unlink(missing_ok=True)
            self._drain()

    @staticmethod
    def _drain(limit_s: float = 1.0) -> None:
        """Wait until espeak-ng's own command queue is idle."""
        from pyttsx3.drivers import _espeak

        deadline = time.monotonic() + limit_s
        while _espeak.IsPlaying() and time.monotonic() < deadline:
            time.sleep(0.001)

    def _run(self) -> None:
        try:
            import pyttsx3
            import pyttsx3.drivers.espeak as driver

            # The driver prints "Audio saved to ..." on stdout, where `ask` streams the reply.
            driver.print = lambda *args, **kwargs: None
            engine = pyttsx3.init("espeak")
        except Exception as exc:  # ImportError, or espeak-ng's library missing
            self.broken = True
            self._ready.set_exception(exc)
            return
        self._ready.set_result(True)
        while True:
            fn, future = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(engine))
            except BaseException as exc:
                future.set_exception(exc)


def _read_wav(data: bytes) -> tuple[np.ndarray, int]:
    """int16 mono samples and rate from WAV bytes. espeak-ng --stdout writes placeholder sizes
    in the header (it streams), so the chunks are walked by hand and 'data' runs to the end."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    pos, rate = 12, 22050
    while pos + 8 <= len(data):
        tag, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if tag == b"fmt ":
            rate = struct.unpack("<I", data[pos + 12 : pos + 16])[0]
        elif tag == b"data":
            body = data[pos + 8 : pos + 8 + min(size, len(data) - pos - 8)]
            return np.frombuffer(body[: len(body) // 2 * 2], dtype="<i2").copy(), rate
        pos += 8 + size + (size & 1)
    return np.zeros(0, dtype=np.int16), rate


def _render_subprocess(text: str, voice: str, rate: int, timeout: float) -> tuple[np.ndarray, int]:
    result = subprocess.run(
        ["espeak-ng", "--stdout", "-v", voice, "-s", str(rate)],
        input=text.encode("utf-8"), capture_output=True, timeout=timeout, check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode(errors="replace").strip().splitlines()
        raise ModelError(f"espeak-ng failed: {message[0] if message else result.returncode}.")
    return _read_wav(result.stdout)


class EspeakEngine(TtsEngine):
    """espeak-ng voices. `backend` is "auto" (pyttsx3, falling back to the espeak-ng
    command), "pyttsx3" or "subprocess"."""

    name = "espeak"

    def __init__(self, voice: str = "", rate: int = 175, backend: str = "auto",
                 timeout_s: float = 10.0):
        super().__init__(voice or DEFAULT_VOICE, rate)
        self.backend = backend
        self.timeout_s = timeout_s
        self._worker: _Pyttsx3Worker | None = None
        self._voice_ids: list[str] = []

    def start(self) -> None:
        if self.backend in ("auto", "pyttsx3"):
            try:
                self._worker = _Pyttsx3Worker.shared()
                self._worker.wait_ready(self.timeout_s)
                self._voice_ids = self._worker.call(
                    lambda engine: [v.id for v in engine.getProperty("voices")], self.timeout_s)
            except Exception as exc:
                self._worker = None
                if self.backend == "pyttsx3" or not shutil.which("espeak-ng"):
                    raise ModelError(
                        f"The espeak-ng voice could not start ({exc}); install espeak-ng "
                        "(Debian/Ubuntu: sudo apt install espeak-ng) or choose --tts-engine piper."
                    ) from None
                log.warning("pyttsx3 unavailable (%s); using the espeak-ng command", exc)
                self.backend = "subprocess"
        if self.backend == "subprocess":
            if not shutil.which("espeak-ng"):
                raise ModelError("The espeak-ng command is missing; install espeak-ng "
                                 "(Debian/Ubuntu: sudo apt install espeak-ng).")
            self._voice_ids = self._list_voices_subprocess()
        self.voice = self._check_voice(self.voice)
        samples, self.sample_rate = self._render("Ready.")  # warm-up: no cold start later
        if not len(samples):
            raise ModelError(f"The espeak-ng voice {self.voice!r} produced no audio.")

    def render_piece(self, text: str) -> Iterator[np.ndarray]:
        samples, rate = self._render(text, self.voice_for(text))
        self.sample_rate = rate
        yield to_float32(samples)

    def voice_for(self, text: str) -> str:
        """The configured voice, or espeak-ng's voice for the script the text is written in
        when the configured one does not read it (and that voice is installed)."""
        script = dominant_script(text)
        if script is None:
            return self.voice
        _, target, readers = SCRIPTS[script]
        language = self.voice.rsplit("/", 1)[-1].split("+")[0].lower()
        if language in readers or language.split("-")[0] in readers:
            return self.voice
        for voice_id in self._voice_ids:
            if voice_id.rsplit("/", 1)[-1].lower() == target:
                return voice_id
        return self.voice

    def voices(self) -> list[str]:
        return list(self._voice_ids)

    # --- rendering ------------------------------------------------------------------------

    def _render(self, text: str, voice: str | None = None) -> tuple[np.ndarray, int]:
        timeout = self.timeout_s + len(text) * 0.02
        voice = voice or self.voice
        if self._worker is not None and not self._worker.broken:
            try:
                return self._worker.render(text, voice, self.rate, timeout)
            except FutureTimeout:
                if self.backend == "pyttsx3" or not shutil.which("espeak-ng"):
                    raise ModelError("The espeak-ng voice stopped responding; restart the app.")
                log.warning("pyttsx3 did not answer in %.0f s; using the espeak-ng command", timeout)
                self._worker = None
        return _render_subprocess(text, voice, self.rate, timeout)

    def _check_voice(self, voice: str) -> str:
        """Accept a full id ("gmw/en-us"), its last part ("en-us"); return what espeak takes."""
        ids = self._voice_ids
        if not ids or voice in ids:
            return voice
        for voice_id in ids:
            if voice_id.rsplit("/", 1)[-1] == voice.lower():
                return voice_id
        raise ModelError(f"There is no espeak-ng voice {voice!r}; run `espeak-ng --voices` to "
                         "see them and set the voice to one of the names in the File column.")

    @staticmethod
    def _list_voices_subprocess() -> list[str]:
        out = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True,
                             timeout=10, check=False).stdout.splitlines()[1:]
        return [line.split()[4].lower() for line in out if len(line.split()) >= 5]
