"""Input devices and the small sample helpers the sources share.

`sounddevice` is passed in (or imported on first use) so tests can hand a fake module with
`query_devices`, `check_input_settings`, `InputStream`, `PortAudioError` and `default`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.errors import AudioDeviceError

SAMPLE_RATE = 16000
NO_MIC = "No microphone found{detail}; plug one in or choose another with --input-device."


def load_sounddevice() -> Any:
    try:
        import sounddevice
    except OSError as exc:  # PortAudio itself is missing
        raise AudioDeviceError(
            f"The audio library PortAudio is not installed ({exc}); install libportaudio2."
        ) from None
    return sounddevice


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    channels: int
    default_samplerate: float
    is_default: bool = False


def list_input_devices(sd: Any = None) -> list[InputDevice]:
    """Every device that can record, in PortAudio's order."""
    sd = sd or load_sounddevice()
    try:
        devices = sd.query_devices()
        default_in = _default_input_index(sd)
    except sd.PortAudioError:
        return []
    found = []
    for index, info in enumerate(devices):
        if int(info.get("max_input_channels", 0)) > 0:
            found.append(InputDevice(
                index=index,
                name=str(info["name"]),
                channels=int(info["max_input_channels"]),
                default_samplerate=float(info.get("default_samplerate") or SAMPLE_RATE),
                is_default=index == default_in,
            ))
    return found


def _default_input_index(sd: Any) -> int:
    device = sd.default.device  # a pair (input, output), or one index for both
    try:
        index = device[0]
    except (TypeError, IndexError, KeyError):
        index = device
    return -1 if index is None else int(index)


def choose_input_device(spec: str | int | None, sd: Any = None) -> InputDevice:
    """The device named by `spec`: an index, a case-insensitive part of its name, or
    None / "" for the system default. Raises AudioDeviceError with one sentence."""
    devices = list_input_devices(sd)
    if not devices:
        raise AudioDeviceError(NO_MIC.format(detail=""))
    if spec is None or str(spec).strip() == "":
        for device in devices:
            if device.is_default:
                return device
        return devices[0]
    text = str(spec).strip()
    if text.lstrip("-").isdigit():
        for device in devices:
            if device.index == int(text):
                return device
        raise AudioDeviceError(NO_MIC.format(detail=f" at index {text}"))
    matches = [d for d in devices if text.lower() in d.name.lower()]
    if not matches:
        names = ", ".join(f"{d.index}: {d.name}" for d in devices)
        raise AudioDeviceError(NO_MIC.format(detail=f" matching '{text}' (inputs: {names})"))
    return matches[0]


def supports_rate(device: InputDevice, rate: int, sd: Any) -> bool:
    try:
        sd.check_input_settings(device=device.index, samplerate=rate, channels=1, dtype="int16")
    except Exception:  # PortAudioError or ValueError, depending on the host API
        return False
    return True


def close_stream(stream: Any) -> None:
    """Stop and close a PortAudio stream whose device may already be gone: closing never
    raises (the caller is usually recovering from that very failure)."""
    if stream is None:
        return
    for step in (stream.stop, stream.close):
        try:
            step()
        except Exception:  # a device that is gone may refuse; closing goes on
            pass


def to_int16(samples: np.ndarray) -> np.ndarray:
    """Float in [-1, 1] or any integer PCM to int16, clipped; 2-D input is averaged to mono."""
    samples = np.asarray(samples)
    if samples.ndim == 2:
        samples = samples.mean(axis=1) if samples.dtype.kind == "f" else samples.astype(np.int32).mean(axis=1)
    if samples.dtype == np.int16:
        return samples
    if samples.dtype.kind == "f":  # x 32768 so that int16 -> float -> int16 is exact
        return np.clip(np.rint(samples * 32768.0), -32768, 32767).astype(np.int16)
    return np.clip(samples, -32768, 32767).astype(np.int16)


def dbfs(samples: np.ndarray) -> float:
    """RMS level of int16 samples in dBFS (-120 for digital silence)."""
    if len(samples) == 0:
        return -120.0
    x = samples.astype(np.float64) / 32768.0
    rms = math.sqrt(float(np.mean(x * x)))
    return max(-120.0, 20.0 * math.log10(rms)) if rms > 0 else -120.0


class StreamResampler:
    """int16 mono in at `in_rate`, int16 mono out at 16 kHz, across calls (soxr streaming)."""

    def __init__(self, in_rate: int, out_rate: int = SAMPLE_RATE):
        import soxr

        self.in_rate, self.out_rate = in_rate, out_rate
        self._stream = soxr.ResampleStream(in_rate, out_rate, 1, dtype="int16", quality="HQ")

    def process(self, samples: np.ndarray, last: bool = False) -> np.ndarray:
        return self._stream.resample_chunk(np.ascontiguousarray(samples, dtype=np.int16), last=last)


def resample(samples: np.ndarray, in_rate: int, out_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Whole-signal float resampling (soxr, high quality)."""
    if in_rate == out_rate:
        return samples
    import soxr

    return soxr.resample(samples, in_rate, out_rate, quality="HQ")
