"""Sound files read a block at a time, as 16 kHz mono int16.

Any length of input costs the same memory: a replayed file, a file to transcribe or the app's
`--replay` input are decoded by libsndfile in blocks of about a second, mixed down to mono and
resampled in a stream (soxr), never held whole. A file that is not audio, is empty or holds
only a header is refused with one line that says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from assistant.audio.devices import SAMPLE_RATE, to_int16
from assistant.errors import UserError, first_line

BLOCK_S = 1.0


@dataclass(frozen=True)
class AudioFileInfo:
    path: Path
    sample_rate: int
    frames: int  # at the file's own rate
    channels: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    @property
    def frames_16k(self) -> int:
        """How many samples the file has at 16 kHz (as read, give or take one)."""
        return round(self.frames * SAMPLE_RATE / self.sample_rate)


def audio_file_info(path: str | Path) -> AudioFileInfo:
    """What the file holds, from its header; a file that is not usable audio raises UserError
    in one line (before any model is loaded for it)."""
    import soundfile

    path = Path(path)
    if not path.exists():
        raise UserError(f"Cannot read {path}: no such file; check the path.")
    if not path.is_file():
        raise UserError(f"Cannot read {path}: it is not a file; give a WAV or FLAC file.")
    try:
        info = soundfile.info(str(path))
    except (RuntimeError, soundfile.LibsndfileError, ValueError, OSError) as exc:
        reason = first_line(exc)
        raise UserError(f"Cannot read {path} as audio ({reason}); give a WAV or FLAC file.") from None
    if info.frames <= 0 or info.samplerate <= 0:
        raise UserError(f"{path} holds no audio; record something longer.")
    return AudioFileInfo(path=path, sample_rate=int(info.samplerate), frames=int(info.frames),
                         channels=int(info.channels))


class AudioFileReader:
    """16 kHz mono int16 samples of a sound file, `read(n)` at a time, in order."""

    def __init__(self, path: str | Path):
        self.info = audio_file_info(path)
        self._file = None
        self._resampler = None
        self._pending = np.zeros(0, np.int16)
        self._eof = False

    def open(self) -> "AudioFileReader":
        import soundfile
        import soxr

        try:
            self._file = soundfile.SoundFile(str(self.info.path))
        except (RuntimeError, soundfile.LibsndfileError, OSError) as exc:
            raise UserError(f"Cannot read {self.info.path} as audio ({exc}).") from None
        if self.info.sample_rate != SAMPLE_RATE:
            self._resampler = soxr.ResampleStream(self.info.sample_rate, SAMPLE_RATE, 1,
                                                  dtype="float32", quality="HQ")
        return self

    def __enter__(self) -> "AudioFileReader":
        return self.open() if self._file is None else self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def finished(self) -> bool:
        return self._eof and len(self._pending) == 0

    def read(self, n: int) -> np.ndarray:
        """Up to `n` samples (fewer only at the end of the file; none after it)."""
        while len(self._pending) < n and not self._eof:
            self._decode_block()
        out, self._pending = self._pending[:n], self._pending[n:]
        return out

    def blocks(self, n: int) -> Iterator[np.ndarray]:
        while not self.finished:
            block = self.read(n)
            if len(block):
                yield block

    def _decode_block(self) -> None:
        import soundfile

        try:
            data = self._file.read(int(self.info.sample_rate * BLOCK_S), dtype="float32",
                                   always_2d=True)
        except (RuntimeError, soundfile.LibsndfileError) as exc:
            raise UserError(f"Cannot read {self.info.path} past {self._file.tell()} frames "
                            f"({exc}); the file may be damaged.") from None
        last = len(data) == 0
        mono = data.mean(axis=1) if len(data) else np.zeros(0, np.float32)
        if self._resampler is not None:
            mono = self._resampler.resample_chunk(np.ascontiguousarray(mono, np.float32), last=last)
        if len(mono):
            self._pending = np.concatenate([self._pending, to_int16(mono)])
        self._eof = last

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def load_audio(path: str | Path) -> np.ndarray:
    """A whole (short) sound file as 16 kHz mono int16; UserError in one line if it is bad."""
    with AudioFileReader(path) as reader:
        blocks = list(reader.blocks(SAMPLE_RATE * 10))
    return np.concatenate(blocks) if blocks else np.zeros(0, np.int16)
