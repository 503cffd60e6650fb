"""A microphone that fails mid-stream and comes back: the source notices, says so once per
outage, keeps the app running and resumes without a restart (fakes in device_fakes.py)."""

from __future__ import annotations

import time

import pytest

from assistant.audio.recovery import RecoveringSource
from assistant.audio.sources import MicSource
from assistant.clock import MonotonicClock
from assistant.errors import AudioDeviceError
from device_fakes import FakeInputStream, FakePortAudioError, Notices, PluggableMic, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]  # real-time streams


@pytest.fixture
def mic():
    sd = PluggableMic()
    yield sd
    sd.close()


def recovering(sd, notices, **kwargs) -> RecoveringSource:
    make = lambda: MicSource("usb", sd=sd, clock=MonotonicClock(), stall_s=0.3)  # noqa: E731
    return RecoveringSource(make, on_notice=notices, retry_s=0.05, **kwargs)


def frames_for(source, seconds: float) -> list:
    frames, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        frame = source.read(timeout=0.05)  # never raises, whatever the device does
        if frame is not None:
            frames.append(frame)
    return frames


def test_unplugged_microphone_is_reported_once_and_resumes_when_back(mic):
    notices = Notices()
    source = recovering(mic, notices)
    source.start()
    assert len(frames_for(source, 0.2)) >= 5
    mic.unplug()
    assert frames_for(source, 0.5) == []  # ten retries meanwhile, all failing
    assert not source.finished and source.error is not None
    assert notices.levels == ["warning"]
    level, message = notices.items[0]
    assert "USB Headset Mic" in message and "stopped" in message and "back" in message
    mic.plug()
    assert wait_for(lambda: source.read(timeout=0.05) is not None)
    assert notices.levels == ["warning", "info"] and "back" in notices.items[1][1]
    assert source.error is None and source.outages == 1
    # a second outage is a second report
    mic.unplug()
    frames_for(source, 0.3)
    mic.plug()
    assert len(frames_for(source, 0.5)) > 0
    assert notices.levels == ["warning", "info", "warning", "info"]
    source.close()
    assert source.finished and source.read(timeout=0.01) is None


def test_frame_times_keep_increasing_across_an_outage(mic):
    source = recovering(mic, Notices())
    source.start()
    before = frames_for(source, 0.2)
    mic.unplug()
    frames_for(source, 0.2)
    mic.plug()
    after = frames_for(source, 0.4)
    source.close()
    times = [f.t_ns for f in before + after]
    assert after and all(b > a for a, b in zip(times, times[1:]))
    assert after[0].t_ns - before[-1].t_ns >= 150_000_000  # the gap is on the timeline


def test_a_stream_that_stops_calling_back_is_noticed_and_reopened(mic):
    notices = Notices()
    source = recovering(mic, notices)
    source.start()
    assert frames_for(source, 0.1)
    mic.hung = True  # the driver hangs: no callbacks, the stream still says it is active
    assert frames_for(source, 0.6) == []
    assert notices.levels == ["warning"] and "no audio for 0.3 s" in notices.items[0][1]
    mic.hung = False  # a reopened stream works again
    assert wait_for(lambda: source.read(timeout=0.05) is not None)
    assert notices.levels == ["warning", "info"]
    assert len(mic.streams) >= 2 and mic.streams[0].closed
    source.close()


def test_errors_from_start_and_read_never_escape(mic):
    notices = Notices()

    class Flaky:
        """A source whose read raises PortAudioError once, as a host API may."""

        def __init__(self):
            self.inner = MicSource("usb", sd=mic, clock=MonotonicClock())
            self.calls = 0
            self.frame_ms, self.finished, self.level_dbfs = 20, False, -120.0
            self.error, self.overflows, self.device_name = None, 0, "usb"

        def start(self):
            self.inner.start()

        def read(self, timeout=None):
            self.calls += 1
            if self.calls == 3:
                raise FakePortAudioError("Stream is stopped [PaErrorCode -9983]")
            return self.inner.read(timeout)

        def close(self):
            self.inner.close()

    source = RecoveringSource(Flaky, on_notice=notices, retry_s=0.05)
    source.start()
    mic.fail_start = True  # reopening fails for a while: quietly retried
    frames = frames_for(source, 0.4)
    assert len(frames) == 2
    assert notices.levels == ["warning"] and "Stream is stopped" in notices.items[0][1]
    mic.fail_start = False
    assert wait_for(lambda: source.read(timeout=0.05) is not None)
    assert notices.levels == ["warning", "info"]
    source.close()


def test_no_microphone_at_start_is_waited_for(mic):
    notices = Notices()
    mic.unplug()
    source = recovering(mic, notices)
    source.start()  # does not raise
    assert source.read(timeout=0.1) is None and not source.finished
    assert notices.levels == ["warning"] and notices.items[0][1].startswith("No microphone found")
    mic.plug()
    assert wait_for(lambda: source.read(timeout=0.05) is not None)
    assert notices.levels == ["warning", "info"]
    source.close()


def test_without_waiting_a_missing_microphone_raises_at_start(mic):
    mic.unplug()
    with pytest.raises(AudioDeviceError, match="No microphone found"):
        recovering(mic, Notices(), wait_for_device=False).start()


def test_mic_source_alone_finishes_with_one_line_on_each_kind_of_fault(mic):
    class Broken(FakeInputStream):
        @property
        def active(self):
            raise FakePortAudioError("Unanticipated host error [PaErrorCode -9999]")

        @active.setter
        def active(self, value):
            pass

    source = MicSource("usb", sd=mic, clock=MonotonicClock(), stall_s=0.2)
    mic.InputStream = lambda **kwargs: Broken(mic, **kwargs)
    source.start()
    assert source.read(timeout=0.5) is None and source.finished
    assert "Unanticipated host error" in source.error and "\n" not in source.error
