"""The real audio path on a machine with no sound card: a PulseAudio server with a null sink,
our `Speaker` playing into it and our `MicSource` recording its monitor, both through
PortAudio's ALSA "pulse" device (the alsa pulse plugin from libasound2-plugins). So the device
code runs for real, at real-time pace: stream callbacks, block timing, resampling, queues.

The test starts its own server (as whatever user runs the tests, root included) on a private
socket, points this process's PortAudio at it, and stops it afterwards. It is skipped only
when the packages are missing or the server cannot start here, with the reason.
"""

from __future__ import annotations

import glob
import os
import threading
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from assistant.audio.recovery import RecoveringSource, RecoveringSpeaker
from assistant.audio.sources import MicSource
from assistant.audio.speaker import Speaker
from assistant.clock import NS_PER_MS, MonotonicClock
from assistant.config import VadSettings
from assistant.events import AudioChunk, PlaybackFinished, PlaybackStarted, SpeechStarted
from assistant.vad import Endpointer

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

RATE = 16000
SERVER_CONFIG = """\
load-module module-null-sink sink_name=va_null rate=48000 channels=1
load-module module-native-protocol-unix socket={socket} auth-anonymous=1
set-default-sink va_null
set-default-source va_null.monitor
"""
ALSA_PULSE_PLUGIN = ["/usr/lib/*/alsa-lib/libasound_module_pcm_pulse.so",
                     "/usr/lib/alsa-lib/libasound_module_pcm_pulse.so",
                     "/usr/lib64/alsa-lib/libasound_module_pcm_pulse.so"]


def _skip_reason_for_packages() -> str | None:
    if not shutil.which("pulseaudio") or not shutil.which("pactl"):
        return ("pulseaudio and pulseaudio-utils are not installed "
                "(scripts/setup.sh installs them: apt-get install pulseaudio pulseaudio-utils)")
    if not any(glob.glob(pattern) for pattern in ALSA_PULSE_PLUGIN):
        return ("the ALSA pulse plugin is not installed "
                "(scripts/setup.sh installs it: apt-get install libasound2-plugins)")
    return None


def _reinit_portaudio(sd, timeout_s: float = 15.0) -> None:
    """PortAudio lists devices once, when it starts: start it again to see the server (and
    again afterwards, to forget it). Nothing else in the test process has a stream open.
    Bounded in time: a stream left stuck by a failed test must not hang the whole run."""
    def restart():
        sd._terminate()
        sd._initialize()

    worker = threading.Thread(target=restart, daemon=True, name="portaudio-restart")
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        pytest.fail("PortAudio did not restart within 15 s (a stream was left stuck)")


class SoundServer:
    """A private PulseAudio server (a child process of the tests) with the null sink."""

    def __init__(self):
        self.home = Path(tempfile.mkdtemp(prefix="va-pulse-"))  # short: socket paths <108 B
        self.socket = self.home / "native"
        self.config = self.home / "server.pa"
        self.config.write_text(SERVER_CONFIG.format(socket=self.socket))
        (self.home / "client.conf").write_text("autospawn = no\n")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
        self.env.update(HOME=str(self.home), PULSE_RUNTIME_PATH=str(self.home / "runtime"),
                        PULSE_STATE_PATH=str(self.home / "state"),
                        XDG_RUNTIME_DIR=str(self.home / "runtime"),
                        XDG_CONFIG_HOME=str(self.home / "config"))
        self.client_env = {"PULSE_SERVER": f"unix:{self.socket}",
                           "PULSE_CLIENTCONFIG": str(self.home / "client.conf")}
        self.log_path = self.home / "server.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 15.0) -> str | None:
        """Start it and wait until it answers; None, or why it did not start."""
        command = ["pulseaudio", "--daemonize=no", "--system=false", "--exit-idle-time=-1",
                   "-n", "-F", str(self.config), "--use-pid-file=no", "--disallow-exit",
                   "--realtime=no", "--high-priority=no", "--log-target=stderr"]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, env=self.env, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=log,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process.poll() is None:
            if self.socket.exists():
                probe = subprocess.run(["pactl", "list", "short", "sinks"], capture_output=True,
                                       text=True, env={**self.env, **self.client_env},
                                       timeout=10)
                if probe.returncode == 0 and "va_null" in probe.stdout:
                    return None
            time.sleep(0.1)
        log = self.log_path.read_text(errors="replace").splitlines()
        errors = [line for line in log if line.startswith("E:")] or log
        code = self.process.poll()
        self.stop()
        return (f"{'exit code ' + str(code) if code is not None else f'no answer in {timeout:g} s'}"
                f": {errors[0] if errors else 'no log'}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture(scope="module")
def sound_server():
    reason = _skip_reason_for_packages()
    if reason:
        pytest.skip(reason)
    try:
        import sounddevice as sd
    except OSError as exc:
        pytest.skip(f"PortAudio cannot be loaded ({exc}); apt-get install libportaudio2")
    server = SoundServer()
    why = server.start()
    if why is not None:
        server.remove()
        pytest.skip(f"the PulseAudio server did not start here ({why})")
    saved = {k: os.environ.get(k) for k in server.client_env}
    os.environ.update(server.client_env)
    try:
        _reinit_portaudio(sd)
        server.sd = sd
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.remove()
        _reinit_portaudio(sd)


def chirp(seconds: float, rate: int = RATE, f0: float = 300, f1: float = 3000) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * (f0 * t + (f1 - f0) / (2 * seconds) * t * t))).astype(np.float32)


def find(recorded: np.ndarray, reference: np.ndarray) -> tuple[int, float]:
    """Where `reference` best matches inside `recorded`, and how well (normalised, 0..1)."""
    recorded, reference = recorded.astype(np.float64), reference.astype(np.float64)
    n = len(recorded) + len(reference)
    size = 1 << (n - 1).bit_length()
    corr = np.fft.irfft(np.fft.rfft(recorded, size) * np.conj(np.fft.rfft(reference, size)), size)
    corr = corr[: len(recorded) - len(reference) + 1]
    energy = np.convolve(recorded ** 2, np.ones(len(reference)), "valid")
    audible = energy > len(reference) * 1e-5  # above -50 dBFS: silence matches nothing
    score = np.where(audible, corr / (np.sqrt(np.maximum(energy, 1e-12))
                                      * np.linalg.norm(reference)), 0.0)
    lag = int(np.argmax(score))
    return lag, float(score[lag])


def test_speaker_into_a_null_sink_recorded_by_the_mic_source(sound_server, speech):
    sd = sound_server.sd
    names = [d["name"] for d in sd.query_devices()]
    assert "pulse" in names, f"PortAudio does not see the server's ALSA 'pulse' device: {names}"

    clock = MonotonicClock()
    mic = MicSource("pulse", frame_ms=20, clock=clock)
    events = []
    speaker = Speaker("pulse", clock=clock, block_ms=20, on_event=events.append)
    frames = []
    try:
        mic.start()
        # the null sink's monitor can take ~2 s to deliver its first block after start
        deadline = time.monotonic() + 8
        while not frames and time.monotonic() < deadline:
            frame = mic.read(timeout=0.5)
            if frame is not None:
                frames.append(frame)
        assert frames, f"no audio from the monitor in 8 s (error: {mic.error})"
        speaker.start()

        tone = chirp(0.6)
        words = speech("Testing the real audio path.").astype(np.float32) / 32768.0
        gap = np.zeros(int(0.8 * RATE), np.float32)
        played = np.concatenate([tone, gap, words])
        began = time.monotonic()
        speaker.play(AudioChunk(turn_id=1, generation=0, samples=played, sample_rate=RATE,
                                chunk_index=0, text="test"))
        speaker.play(AudioChunk(turn_id=1, generation=0, samples=np.zeros(0, np.float32),
                                sample_rate=RATE, chunk_index=-1, last=True))
        record_until = began + len(played) / RATE + 2.0
        while time.monotonic() < record_until:
            frame = mic.read(timeout=0.5)
            if frame is not None:
                frames.append(frame)
        elapsed = time.monotonic() - began
    finally:
        speaker.close()
        mic.close()

    # the device code ran at real-time pace: monotonic capture times, nothing dropped
    times = np.array([f.t_ns for f in frames])
    steps = np.diff(times)
    assert (steps > 0).all(), "capture times went backwards"
    assert np.mean(steps == 20 * NS_PER_MS) > 0.95, f"irregular frame times: {set(steps.tolist())}"
    assert mic.overflows == 0 and mic.device_overflows == 0 and mic.error is None
    captured_s = len(frames) * 0.02
    assert captured_s > elapsed * 0.9, f"{captured_s:.2f} s of audio in {elapsed:.2f} s"
    assert [type(e) for e in events if isinstance(e, (PlaybackStarted, PlaybackFinished))] == \
        [PlaybackStarted, PlaybackFinished]

    # what was played is in the recording, at a level above a floor
    recorded = np.concatenate([f.samples for f in frames]).astype(np.float32) / 32768.0
    lag, score = find(recorded, tone)
    envelope = " ".join(f"{np.abs(recorded[i:i + 1600]).max():.2f}"
                        for i in range(0, len(recorded), 1600))
    assert score > 0.8, (f"the chirp is not in the recording (best match {score:.2f}); "
                         f"peaks per 0.1 s: {envelope}")
    level = 20 * np.log10(np.sqrt(np.mean(recorded[lag:lag + len(tone)] ** 2)) + 1e-12)
    assert level > -15, f"the chirp came back at {level:.1f} dBFS"
    quiet = recorded[: max(0, lag - RATE // 10)]
    assert len(quiet) == 0 or np.abs(quiet).max() < 0.01  # only silence before it
    t_heard = frames[0].t_ns + lag * 1_000_000_000 // RATE
    t_played = next(e.t_ns for e in events if isinstance(e, PlaybackStarted))
    latency_ms = (t_heard - t_played) / NS_PER_MS
    assert -50 < latency_ms < 1000, f"the chirp arrived {latency_ms:.0f} ms after it was played"

    print(f"real audio path: chirp match {score:.3f} at {level:.1f} dBFS, heard {latency_ms:.0f} ms "
          f"after PlaybackStarted; {len(frames)} frames in {elapsed:.2f} s")
    speech_lag, speech_score = find(recorded, words)
    assert speech_score > 0.8 and abs(speech_lag - (lag + len(tone) + len(gap))) < RATE // 50

    # and the endpointer hears the words in it
    endpointer = Endpointer(VadSettings(), gate="auto")
    endpointer.start()
    started = [e for f in frames for e in endpointer.process(f) if isinstance(e, SpeechStarted)]
    assert len(started) == 1
    onset_s = (started[0].t_onset_ns - frames[0].t_ns) / 1e9
    assert abs(onset_s - speech_lag / RATE) < 0.3


def test_mic_and_speaker_recover_when_the_sound_server_restarts(sound_server):
    """The server dies under a running microphone and speaker (as when PulseAudio or PipeWire
    restarts): both say so once, nothing raises, and both work again once it is back."""
    clock = MonotonicClock()
    notices: list[tuple[str, str]] = []
    note = lambda message, level: notices.append((level, message))  # noqa: E731
    source = RecoveringSource(lambda: MicSource("pulse", clock=clock), on_notice=note,
                              retry_s=0.5)
    events = []
    speaker = RecoveringSpeaker("pulse", clock=clock, on_event=events.append, on_notice=note,
                                retry_s=0.5)

    def frames_for(seconds: float) -> list:
        frames, deadline = [], time.monotonic() + seconds
        while time.monotonic() < deadline:
            frame = source.read(timeout=0.1)
            if frame is not None:
                frames.append(frame)
        return frames

    def until(predicate, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not predicate():
            frames_for(0.1)
        return predicate()

    try:
        source.start()
        speaker.start()
        assert until(lambda: source.read(timeout=0.1) is not None, 8)
        assert notices == []

        sound_server.stop()
        assert until(lambda: len(notices) == 2, 5), notices
        assert sorted(level for level, _ in notices) == ["warning", "warning"]
        assert any("microphone 'pulse'" in m for _, m in notices)
        assert any("output device 'pulse'" in m for _, m in notices)
        assert frames_for(1.0) == [] and not source.finished  # waiting, not raising

        assert sound_server.start() is None
        assert until(lambda: len(notices) == 4, 15), notices
        assert [level for level, _ in notices[2:]] == ["info", "info"]
        assert source.error is None and speaker.error is None

        tone = chirp(0.5)
        speaker.play(AudioChunk(turn_id=7, generation=0, samples=tone, sample_rate=RATE,
                                chunk_index=0, text="test"))
        recorded = frames_for(2.0)
    finally:
        speaker.close()
        source.close()
    audio = np.concatenate([f.samples for f in recorded]).astype(np.float32) / 32768.0
    lag, score = find(audio, tone)
    assert score > 0.8, f"no chirp after the restart (best match {score:.2f})"
    assert source.outages == 1 and speaker.outages == 1
