"""Test sounds for the settings dialog: a tone, and a sentence in the chosen voice.

Plain functions that block (open a device, synthesize, wait for playback); the dialog runs
them on a worker thread. Failures raise `UserError` with a sentence to show next to the button.
"""

from __future__ import annotations

import numpy as np

from assistant.clock import DEFAULT_CLOCK
from assistant.errors import UserError
from assistant.events import AudioChunk

TONE_HZ = 660.0
PREVIEW_TEXT = "Hello! This is how I will sound when I answer you."


def tone(seconds: float = 0.6, rate: int = 48000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.02)  # no clicks at either end
    return (0.25 * np.sin(2 * np.pi * TONE_HZ * t) * fade).astype(np.float32)


def play(samples: np.ndarray, rate: int, device: str = "", speaker_factory=None) -> float:
    """Play float32 mono samples on `device` ("" = default); returns the seconds played."""
    from assistant.audio.speaker import Speaker

    make = speaker_factory or (lambda: Speaker(device or None, clock=DEFAULT_CLOCK))
    speaker = make()
    speaker.start()  # AudioDeviceError (a UserError) names the device and what to do
    try:
        speaker.play(AudioChunk(samples=samples, sample_rate=rate, chunk_index=0, t_ns=0))
        speaker.play(AudioChunk(samples=np.zeros(0, np.float32), sample_rate=rate,
                                chunk_index=-1, last=True, t_ns=0))
        speaker.wait_idle(timeout=len(samples) / rate + 3.0)
    finally:
        speaker.close()
    return len(samples) / rate


def play_tone(device: str = "", speaker_factory=None) -> str:
    seconds = play(tone(), 48000, device, speaker_factory)
    return f"Played a {seconds:.1f} s tone."


def synthesize(tts_settings, text: str = PREVIEW_TEXT) -> tuple[np.ndarray, int]:
    from assistant.tts.factory import make_tts

    try:
        engine = make_tts(tts_settings)
        engine.start()
    except UserError:
        raise
    except Exception as exc:  # an engine that cannot start gives a sentence, not a traceback
        raise UserError(f"The voice could not be loaded ({exc}).") from None
    try:
        pieces = [np.asarray(p, np.float32) for p in engine.synthesize(text) if p is not None]
        rate = engine.sample_rate
    finally:
        engine.close()
    samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    if not len(samples):
        raise UserError("The voice produced no sound; try another voice.")
    return samples, rate


def preview_voice(tts_settings, device: str = "", speaker_factory=None) -> str:
    samples, rate = synthesize(tts_settings)
    try:
        play(samples, rate, device, speaker_factory)
    except UserError as exc:
        raise UserError(f"The voice works ({len(samples) / rate:.1f} s of speech), but it "
                        f"could not be played: {exc}") from None
    return f"Played {len(samples) / rate:.1f} s of speech."


def output_devices() -> list[str]:
    """Names of the devices that can play sound ([] without PortAudio or devices)."""
    try:
        from assistant.audio.devices import load_sounddevice

        sd = load_sounddevice()
        return [str(d["name"]) for d in sd.query_devices() if d.get("max_output_channels", 0) > 0]
    except Exception:
        return []


def input_devices() -> list[str]:
    try:
        from assistant.audio.devices import list_input_devices

        return [d.name for d in list_input_devices()]
    except Exception:
        return []


def espeak_voices() -> list[str]:
    """Language codes espeak-ng accepts as voices, from `espeak-ng --voices`."""
    import shutil
    import subprocess

    if not shutil.which("espeak-ng"):
        return []
    try:
        out = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True,
                             timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    voices = [line.split()[1] for line in out.splitlines()[1:] if len(line.split()) > 3]
    return sorted(set(voices))
