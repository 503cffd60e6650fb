"""A speaker that fails mid-stream and comes back: playback notices, says so once per outage,
drops the audio but keeps the reply's pace, and plays again without a restart (fakes in
device_fakes.py)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from assistant.audio.recovery import RecoveringSpeaker
from assistant.clock import MonotonicClock
from assistant.errors import AudioDeviceError
from assistant.events import AudioChunk, PlaybackFinished, PlaybackStarted
from device_fakes import Notices, PluggableSpeaker, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(60)]  # real-time streams


@pytest.fixture
def board():
    factory = PluggableSpeaker()
    yield factory
    factory.close()


def reply(turn_id: int, seconds: float = 0.2, rate: int = 16000) -> list[AudioChunk]:
    n = int(seconds * rate)
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(n) / rate)).astype(np.float32)
    return [AudioChunk(turn_id=turn_id, generation=0, samples=tone, sample_rate=rate,
                       chunk_index=0, text="hello"),
            AudioChunk(turn_id=turn_id, generation=0, samples=np.zeros(0, np.float32),
                       sample_rate=rate, chunk_index=-1, last=True)]


def speaker_for(board, notices, events, **kwargs) -> RecoveringSpeaker:
    speaker = RecoveringSpeaker(clock=MonotonicClock(), block_ms=20, on_event=events.append,
                                stream_factory=board, sample_rate=16000, on_notice=notices,
                                retry_s=0.05, stall_s=0.3, check_s=0.02, **kwargs)
    speaker.start()
    return speaker


def finished(events, turn_id):
    return any(isinstance(e, PlaybackFinished) and e.turn_id == turn_id and not e.flushed
               for e in events)


def loud(stream) -> int:
    return sum(1 for block in stream.played if np.abs(block).max() > 0.1)


def test_output_device_error_is_reported_audio_dropped_and_playback_resumes(board):
    notices, events = Notices(), []
    speaker = speaker_for(board, notices, events)
    for chunk in reply(1):
        speaker.play(chunk)
    assert wait_for(lambda: finished(events, 1))
    heard_first = loud(board.streams[0])
    assert heard_first >= 8  # 0.2 s of tone in 20 ms blocks

    board.unplug()
    assert wait_for(lambda: notices.levels == ["warning"])
    assert "stopped playing" in notices.items[0][1] and "not spoken" in notices.items[0][1]
    for chunk in reply(2):  # played in silence, at its real pace, so the turn still ends
        speaker.play(chunk)
    began = time.monotonic()
    assert wait_for(lambda: finished(events, 2))
    assert time.monotonic() - began >= 0.15
    kinds = [type(e).__name__ for e in events if e.turn_id == 2]
    assert kinds == ["PlaybackStarted", "ChunkPlaybackStarted", "PlaybackFinished"]
    assert loud(board.streams[0]) == heard_first  # nothing more reached the dead device
    time.sleep(0.2)  # several retries fail meanwhile: still one notice
    assert notices.levels == ["warning"]

    board.plugged = True
    assert wait_for(lambda: notices.levels == ["warning", "info"])
    assert "back" in notices.items[1][1] and speaker.error is None
    for chunk in reply(3):
        speaker.play(chunk)
    assert wait_for(lambda: finished(events, 3))
    assert len(board.streams) >= 2 and loud(board.streams[-1]) >= 8
    assert board.streams[0].closed
    speaker.close()


def test_a_stalled_output_stream_is_noticed(board):
    notices, events = Notices(), []
    speaker = speaker_for(board, notices, events)
    board.hung = True
    assert wait_for(lambda: notices.levels == ["warning"])
    assert "no audio for 0.3 s" in notices.items[0][1]
    for chunk in reply(1):
        speaker.play(chunk)
    assert wait_for(lambda: finished(events, 1))
    board.hung = False
    assert wait_for(lambda: notices.levels == ["warning", "info"])
    speaker.close()


def test_flush_during_an_outage_still_silences_at_once(board):
    notices, events = Notices(), []
    speaker = speaker_for(board, notices, events)
    board.unplug()
    assert wait_for(lambda: notices.levels == ["warning"])
    for chunk in reply(1, seconds=3.0):
        speaker.play(chunk)
    assert wait_for(lambda: any(isinstance(e, PlaybackStarted) for e in events))
    began = time.monotonic()
    speaker.flush()
    assert time.monotonic() - began < 0.3 and not speaker.is_playing
    speaker.close()


def test_no_output_device_at_start_is_waited_for(board):
    notices, events = Notices(), []
    board.plugged = False
    speaker = speaker_for(board, notices, events)  # does not raise
    assert notices.levels == ["warning"] and "No usable audio output device" in notices.items[0][1]
    for chunk in reply(1):
        speaker.play(chunk)
    assert wait_for(lambda: finished(events, 1))
    board.plugged = True
    assert wait_for(lambda: notices.levels == ["warning", "info"])
    for chunk in reply(2):
        speaker.play(chunk)
    assert wait_for(lambda: finished(events, 2))
    assert loud(board.streams[-1]) >= 8
    speaker.close()


def test_without_waiting_a_missing_output_device_raises(board):
    board.plugged = False
    with pytest.raises(AudioDeviceError, match="No usable audio output device"):
        speaker_for(board, Notices(), [], wait_for_device=False)


def test_taps_hear_silence_while_the_device_is_gone(board):
    """The echo canceller's reference must not hold audio that never reached a speaker."""
    notices, events = Notices(), []
    speaker = speaker_for(board, notices, events)
    heard: list[float] = []
    speaker.add_tap(lambda samples, t_ns: heard.append(float(np.abs(samples).max())))
    for chunk in reply(1):
        speaker.play(chunk)
    assert wait_for(lambda: finished(events, 1))
    speaker._pq.drain_reports()
    assert max(heard) > 0.4
    board.unplug()
    assert wait_for(lambda: notices.levels == ["warning"])
    speaker._pq.drain_reports()
    heard.clear()
    for chunk in reply(2):
        speaker.play(chunk)
    assert wait_for(lambda: finished(events, 2))
    speaker._pq.drain_reports()
    assert heard and max(heard) == 0.0
    speaker.close()
