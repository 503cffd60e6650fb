"""The played-audio timeline (the echo canceller's reference, a replay's simulated echo): the
speaker's tap only copies; the reader resamples, and what it reads lines up with the clock."""

from __future__ import annotations

import threading

import numpy as np
import soxr

from assistant.audio.played_timeline import PlayedTimeline
from assistant.clock import NS_PER_MS, NS_PER_S
from helpers.resampling import ResampleCalls, peak_allocation

T0 = 3 * NS_PER_S
BLOCK = 960  # 20 ms at 48 kHz


def voice(seconds: float, rate: int = 48000, seed: int = 1) -> np.ndarray:
    """Speech-like noise, band-limited as a voice at 22 050 Hz is once played at 48 kHz."""
    noise = np.random.default_rng(seed).normal(0, 0.2, int(seconds * 22050)).astype(np.float32)
    return soxr.resample(noise, 22050, rate).astype(np.float32)


def play(timeline: PlayedTimeline, audio: np.ndarray, t0_ns: int) -> None:
    for i in range(0, len(audio) - BLOCK + 1, BLOCK):
        timeline.on_played(audio[i:i + BLOCK], t0_ns + i * NS_PER_S // 48000)


def test_the_tap_only_copies_and_the_reader_resamples(monkeypatch):
    audio = voice(2.2)
    resampling = ResampleCalls(monkeypatch)
    timeline = PlayedTimeline(speaker_rate=48000)
    big = 9600  # 200 ms blocks: 38 400 bytes each
    timeline.on_played(audio[:big], T0)  # the deque's first node
    with resampling.none_allowed("the speaker tap"), peak_allocation() as peak:
        for i in range(1, 11):
            timeline.on_played(audio[i * big:(i + 1) * big], T0 + i * 200 * NS_PER_MS)
    assert peak[0] < big * 4 // 8, f"{peak[0]} bytes allocated by ten taps"
    heard = []
    reader = threading.Thread(target=lambda: heard.append(timeline.read(T0, 320)),
                              name="conversation")
    reader.start()
    reader.join()
    assert resampling.calls and {thread for _, thread in resampling.calls} == {"conversation"}
    assert np.abs(heard[0]).max() > 0.05


def test_what_is_read_is_the_played_audio_at_16k_on_the_clock():
    """Read frame by frame as the echo canceller does, it is the whole reply resampled at
    once: no piece out of place, none missing, none twice."""
    timeline = PlayedTimeline(speaker_rate=48000)
    audio = voice(2.0)
    play(timeline, audio, T0)
    expected = soxr.resample(audio, 48000, 16000)
    frames = [timeline.read(T0 + i * 20 * NS_PER_MS, 320) for i in range(99)]
    got = np.concatenate(frames)
    # the last frames miss the filter's look-ahead past the end of what was played
    assert np.abs(got[:31000] - expected[:31000]).max() < 1e-3
    assert np.abs(timeline.read(T0 - 100 * NS_PER_MS, 800)).max() < 1e-3  # before: nothing


def test_a_frame_read_while_the_reply_plays_has_its_reference_at_once():
    """Blocks tapped up to the frame's end are all a read needs: nothing is held back."""
    timeline = PlayedTimeline(speaker_rate=48000)
    audio = voice(1.0)
    expected = soxr.resample(audio, 48000, 16000)
    for i in range(10):  # play 200 ms, reading each 20 ms frame as soon as its block played
        timeline.on_played(audio[i * BLOCK:(i + 1) * BLOCK], T0 + i * 20 * NS_PER_MS)
        frame = timeline.read(T0 + i * 20 * NS_PER_MS, 320)
        # all but the last 5 ms (whose filter would look at audio not played yet)
        assert np.abs(frame[:240] - expected[i * 320:i * 320 + 240]).max() < 1e-3


def test_a_reply_after_a_pause_lands_at_its_own_time():
    timeline = PlayedTimeline(speaker_rate=48000)
    first, second = voice(0.4, seed=2), voice(0.4, seed=3)
    play(timeline, first, T0)
    play(timeline, second, T0 + 2 * NS_PER_S)
    assert np.abs(timeline.read(T0 + 1 * NS_PER_S, 8000)).max() < 1e-3  # the pause
    again = timeline.read(T0 + 2 * NS_PER_S + 100 * NS_PER_MS, 3200)
    expected = soxr.resample(second, 48000, 16000)[1600:4800]
    assert np.abs(again - expected).max() < 1e-3


def test_at_the_microphones_rate_nothing_is_resampled(monkeypatch):
    resampling = ResampleCalls(monkeypatch)
    timeline = PlayedTimeline(speaker_rate=16000)
    tone = (0.3 * np.sin(2 * np.pi * 220 * np.arange(320) / 16000)).astype(np.float32)
    timeline.on_played(tone, T0)
    assert np.array_equal(timeline.read(T0, 320), tone) and not resampling.calls
