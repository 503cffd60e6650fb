"""Audio sources: replayed files (pacing, conversion, mixing, bad files) and the microphone
(with a fake sounddevice stream, and the real one on this machine with no sound card)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile

from assistant.audio.devices import choose_input_device, list_input_devices
from assistant.audio.sources import MicSource, WavSource, load_audio
from assistant.clock import NS_PER_MS, ManualClock, MonotonicClock
from assistant.errors import AudioDeviceError, UserError
from conftest import write16

MS = NS_PER_MS


def tone(freq: float, seconds: float, rate: int = 16000, amp: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return amp * np.sin(2 * np.pi * freq * t)


def peak_hz(samples: np.ndarray, rate: int = 16000) -> float:
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)])


# --- WavSource ---------------------------------------------------------------------------------


def test_realtime_pacing_on_a_manual_clock(tmp_path):
    path = write16(tmp_path / "a.wav", (tone(440, 0.1) * 32767).astype(np.int16))
    clock = ManualClock(start_ns=1_000 * MS)
    source = WavSource(path, clock=clock, realtime=True)
    source.start()
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
        # delivered when its last sample would have been captured
        assert clock.now_ns() == frame.t_end_ns
    assert [f.t_ns for f in frames] == [1_000 * MS + i * 20 * MS for i in range(5)]
    assert all(len(f.samples) == 320 and f.samples.dtype == np.int16 for f in frames)
    assert source.finished


def test_fast_replay_keeps_file_timestamps(tmp_path):
    path = write16(tmp_path / "a.wav", np.zeros(16000, np.int16))
    clock = ManualClock(start_ns=7 * MS)
    source = WavSource(path, clock=clock, realtime=False)
    source.start()
    frames = [source.read() for _ in range(50)]
    assert source.read() is None and source.finished
    assert frames[-1].t_ns == 7 * MS + 49 * 20 * MS
    assert clock.now_ns() == 7 * MS  # nobody waited


def test_read_timeout_returns_none_then_the_frame(tmp_path):
    path = write16(tmp_path / "a.wav", np.zeros(640, np.int16))
    clock = ManualClock()
    source = WavSource(path, clock=clock, realtime=True)
    source.start()
    assert source.read(timeout=0.005) is None
    assert clock.now_ns() == 5 * MS
    assert source.read(timeout=0.5).t_ns == 0


class SleepRecorder:
    """A clock that writes down every time it is asked to sleep until."""

    def __init__(self, clock):
        self.clock, self.slept = clock, []
        self.sleeping = threading.Event()  # set as a sleep begins

    def now_ns(self) -> int:
        return self.clock.now_ns()

    def sleep_until(self, t_ns: int) -> None:
        self.slept.append(t_ns)
        self.sleeping.set()
        self.clock.sleep_until(t_ns)


def test_realtime_pacing_on_the_real_clock(tmp_path):
    """Each frame waits on the source's clock until its last sample's time, an absolute time
    on the file's timeline (never "20 ms from now"), and comes no earlier."""
    path = write16(tmp_path / "a.wav", np.zeros(int(16000 * 0.4), np.int16))
    clock = SleepRecorder(MonotonicClock())
    source = WavSource(path, clock=clock, realtime=True)
    source.start()
    frames = []
    while (frame := source.read()) is not None:
        assert clock.now_ns() >= frame.t_end_ns - MS  # a sleep may end a hair early
        frames.append(frame)
    assert len(frames) == 20
    due = [source.t0_ns + (i + 1) * 20 * MS for i in range(20)]
    assert clock.slept[:20] == due == [f.t_end_ns for f in frames]


def test_realtime_pacing_does_not_add_up_the_time_spent_between_reads(tmp_path):
    """A reader that falls behind gets the frames that are due at once, and is back in step
    as soon as it catches up: the source never runs slower than real time."""
    path = write16(tmp_path / "a.wav", np.zeros(int(16000 * 0.2), np.int16))
    clock = ManualClock(start_ns=1_000 * MS)
    source = WavSource(path, clock=clock, realtime=True)
    source.start()
    source.read()
    clock.advance(75 * MS)  # the reader was busy for 75 ms: three more frames are due
    late = [source.read() for _ in range(3)]
    assert clock.now_ns() == 1_095 * MS  # they came without a wait
    assert [f.t_ns for f in late] == [1_020 * MS, 1_040 * MS, 1_060 * MS]
    on_time = source.read()
    assert clock.now_ns() == on_time.t_end_ns == 1_100 * MS  # waited only for its own end


def test_stereo_48k_flac_becomes_16k_mono(tmp_path):
    stereo = np.stack([tone(1000, 1.0, 48000), tone(1000, 1.0, 48000)], axis=1)
    path = tmp_path / "a.flac"
    soundfile.write(str(path), stereo, 48000, subtype="PCM_24")
    samples = load_audio(path)
    assert samples.dtype == np.int16 and samples.ndim == 1
    assert abs(len(samples) - 16000) <= 2
    assert peak_hz(samples) == pytest.approx(1000, abs=5)


def test_last_frame_is_padded_with_silence(tmp_path):
    path = write16(tmp_path / "a.wav", np.full(400, 1000, np.int16))
    source = WavSource(path, clock=ManualClock(), realtime=False)
    source.start()
    first, second = source.read(), source.read()
    assert source.read() is None
    assert len(second.samples) == 320
    assert (second.samples[:80] == 1000).all() and (second.samples[80:] == 0).all()
    assert first.t_ns == 0 and second.t_ns == 20 * MS


def test_mix_hook_adds_samples_at_delivery(tmp_path):
    path = write16(tmp_path / "a.wav", np.full(960, 100, np.int16))
    calls = []

    def mix(t_ns, n):
        calls.append((t_ns, n))
        if t_ns == 0:
            return np.full(n, 0.5, np.float32)  # float in [-1, 1]
        if t_ns == 20 * MS:
            return np.full(n, 32767, np.int16)  # clipped, not wrapped
        return None

    source = WavSource(path, clock=ManualClock(), realtime=True, mix=mix)
    source.start()
    a, b, c = source.read(), source.read(), source.read()
    assert calls == [(0, 320), (20 * MS, 320), (40 * MS, 320)]
    assert (a.samples == 100 + 16384).all()
    assert (b.samples == 32767).all()
    assert (c.samples == 100).all()


def test_level_of_the_latest_frame(tmp_path):
    path = write16(tmp_path / "a.wav", (tone(500, 0.1, amp=0.1) * 32767).astype(np.int16))
    source = WavSource(path, clock=ManualClock(), realtime=False)
    source.start()
    source.read()
    assert source.level_dbfs == pytest.approx(-23.0, abs=0.5)  # sine RMS = amp / sqrt(2)


@pytest.mark.parametrize("make", [
    lambda p: p / "missing.wav",
    lambda p: (p / "text.wav").write_text("not audio at all") and p / "text.wav",
    lambda p: write16(p / "empty.wav", np.zeros(0, np.int16)),
])
def test_bad_file_is_one_line_user_error(tmp_path, make):
    path = make(tmp_path)
    with pytest.raises(UserError) as info:
        WavSource(path).start()
    message = str(info.value)
    assert "\n" not in message and str(path) in message


# --- MicSource with a fake sounddevice ------------------------------------------------------------


class FakePortAudioError(Exception):
    pass


class FakeStream:
    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.callback = kwargs["callback"]
        self.started = self.closed = False

    def start(self):
        self.started = True

    def stop(self):
        pass

    def close(self):
        self.closed = True


class FakeSd:
    PortAudioError = FakePortAudioError

    def __init__(self, rates=(16000,), devices=None):
        self.rates = rates
        self.devices = devices if devices is not None else [
            {"name": "HDA Intel PCH: ALC257 Analog", "max_input_channels": 2, "default_samplerate": 48000.0},
            {"name": "HDMI 0", "max_input_channels": 0, "default_samplerate": 48000.0},
            {"name": "USB Headset Mic", "max_input_channels": 1, "default_samplerate": 48000.0},
        ]
        self.default = SimpleNamespace(device=[0, 1])
        self.streams = []

    def query_devices(self):
        return self.devices

    def check_input_settings(self, device, samplerate, channels, dtype):
        if samplerate not in self.rates:
            raise FakePortAudioError("Invalid sample rate")

    def InputStream(self, **kwargs):  # noqa: N802 (sounddevice's name)
        self.streams.append(FakeStream(**kwargs))
        return self.streams[-1]


def push(stream, block: np.ndarray):
    stream.callback(block.reshape(-1, 1), len(block), None, SimpleNamespace(input_overflow=False))


def test_devices_listed_and_chosen_by_name_or_index():
    sd = FakeSd()
    assert [d.index for d in list_input_devices(sd)] == [0, 2]
    assert choose_input_device("usb", sd).index == 2
    assert choose_input_device("2", sd).name == "USB Headset Mic"
    assert choose_input_device(None, sd).index == 0  # the system default
    with pytest.raises(AudioDeviceError, match="--input-device"):
        choose_input_device("Blue Yeti", sd)
    with pytest.raises(AudioDeviceError):
        choose_input_device(1, sd)  # HDMI has no inputs


def test_mic_callback_copies_and_frames_are_stamped():
    sd, clock = FakeSd(), ManualClock(start_ns=1000 * MS)
    mic = MicSource("usb", clock=clock, sd=sd)
    mic.start()
    stream = sd.streams[0]
    assert stream.kwargs["samplerate"] == 16000 and stream.kwargs["blocksize"] == 320
    assert stream.kwargs["device"] == 2 and stream.started
    block = np.full(320, 1234, np.int16)
    push(stream, block)
    block[:] = 0  # the driver reuses its buffer: the source must have copied
    frame = mic.read(timeout=0)
    assert (frame.samples == 1234).all()
    assert frame.t_ns == 980 * MS  # the block ended at "now": its first sample is 20 ms earlier
    clock.advance(20 * MS)
    push(stream, block)
    assert mic.read(timeout=0).t_ns == 1000 * MS
    assert mic.read(timeout=0) is None
    assert mic.level_dbfs == -120.0
    mic.close()
    assert stream.closed and mic.finished


def test_mic_overflow_drops_oldest_and_counts():
    sd, clock = FakeSd(), ManualClock(start_ns=10_000 * MS)
    mic = MicSource(clock=clock, sd=sd, max_queue_ms=100)  # room for 5 blocks
    mic.start()
    for i in range(8):
        clock.advance(20 * MS)
        push(sd.streams[0], np.full(320, i, np.int16))
    assert mic.overflows == 3
    values = [int(mic.read(timeout=0).samples[0]) for _ in range(5)]
    assert values == [3, 4, 5, 6, 7]
    assert mic.read(timeout=0) is None


def test_driver_overruns_are_counted():
    sd = FakeSd()
    mic = MicSource(clock=ManualClock(start_ns=10**9), sd=sd)
    mic.start()
    sd.streams[0].callback(np.zeros((320, 1), np.int16), 320, None,
                           SimpleNamespace(input_overflow=True))
    assert mic.device_overflows == 1


def test_mic_resamples_when_16k_is_not_offered():
    sd, clock = FakeSd(rates=(48000, 44100)), ManualClock(start_ns=10**9)
    mic = MicSource(clock=clock, sd=sd)
    mic.start()
    stream = sd.streams[0]
    assert stream.kwargs["samplerate"] == 48000 and stream.kwargs["blocksize"] == 960
    signal = (tone(700, 1.0, 48000) * 32767).astype(np.int16)
    frames = []
    for i in range(0, len(signal), 960):
        clock.advance(20 * MS)
        push(stream, signal[i:i + 960])
        while (frame := mic.read(timeout=0)) is not None:
            frames.append(frame)
    assert all(len(f.samples) == 320 for f in frames)
    assert len(frames) >= 48  # soxr holds back a few ms
    steps = {b.t_ns - a.t_ns for a, b in zip(frames, frames[1:])}
    assert steps == {20 * MS}
    assert peak_hz(np.concatenate([f.samples for f in frames])) == pytest.approx(700, abs=5)


def test_blocking_read_wakes_when_audio_arrives():
    sd = FakeSd()
    mic = MicSource(clock=MonotonicClock(), sd=sd)
    mic.start()
    got, returned = [], threading.Event()

    def reader():
        got.append(mic.read(timeout=60.0))  # woken by the audio, long before this
        returned.set()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    assert not returned.wait(0.05)  # nothing captured: the read waits
    push(sd.streams[0], np.zeros(320, np.int16))
    assert returned.wait(10.0), "the read did not wake when audio arrived"
    thread.join(10.0)
    assert got[0] is not None and len(got[0].samples) == 320
    assert mic.read(timeout=0.01) is None


def test_a_device_that_goes_away_finishes_the_source():
    sd = FakeSd()
    mic = MicSource("usb", clock=ManualClock(start_ns=10**9), sd=sd)
    mic.start()
    push(sd.streams[0], np.zeros(320, np.int16))
    sd.streams[0].active = False  # unplugged: PortAudio stops the stream
    assert mic.read(timeout=0) is not None  # what was captured is still delivered
    assert mic.read(timeout=0) is None
    assert mic.finished and "USB Headset Mic" in mic.error


def test_no_input_devices_is_one_sentence():
    with pytest.raises(AudioDeviceError, match="No microphone found"):
        MicSource(sd=FakeSd(devices=[])).start()


# --- the real sounddevice, on a machine with no sound card -----------------------------------------


def test_absent_microphone_on_this_machine():
    sd = pytest.importorskip("sounddevice")
    if list_input_devices(sd):
        pytest.skip("this machine has a microphone")
    for spec in (None, "USB", 3):
        with pytest.raises(AudioDeviceError) as info:
            MicSource(spec).start()
        assert str(info.value).startswith("No microphone found")
        assert "--input-device" in str(info.value) and "\n" not in str(info.value)


def test_a_file_closed_while_a_read_waits_for_its_frame_ends_the_read_quietly(tmp_path):
    # the app quits (the lane closes its source) while the reader thread sleeps until the
    # next frame is due: that read ends with no frame, not an exception
    path = write16(tmp_path / "a.wav", tone(440, 2.0))
    clock = SleepRecorder(MonotonicClock())
    source = WavSource(path, clock=clock, realtime=True)
    source.start()
    source.read()
    clock.sleeping.clear()
    results = []

    def read_later():
        try:
            for _ in range(20):
                results.append(source.read())
        except Exception as exc:  # what the lane logged as a traceback
            results.append(exc)

    reader = threading.Thread(target=read_later)
    reader.start()
    assert clock.sleeping.wait(10.0)  # the reader waits for the next frame's time
    source.close()
    reader.join(2)
    assert not reader.is_alive()
    assert not [r for r in results if isinstance(r, Exception)], results
    assert results[-1] is None
