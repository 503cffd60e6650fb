"""The echo canceller's barge-in guard (`EchoCanceller.user_above_echo`) on made-up audio:
the assistant's voice (a tone through the speaker tap) and the user's (noise at the mic)."""

import numpy as np

from assistant.audio.echo_cancel import EchoCanceller
from assistant.events import AudioFrame

RATE = 16000
FRAME = 320  # 20 ms
FRAME_NS = 20_000_000


def tone(n: int, level: float = 0.3) -> np.ndarray:
    return (level * np.sin(2 * np.pi * 220 * np.arange(n) / RATE)).astype(np.float32)


def voice(n: int, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).normal(0, 3000, n)).clip(-32768, 32767).astype(np.int16)


def run(canceller: EchoCanceller, frames: list[np.ndarray], *, assistant_from: int,
        user_from: int | None, t0_ns: int = 0) -> None:
    """Feed 20 ms frames from `t0_ns` on; the assistant plays from frame `assistant_from` on,
    a new stretch of its voice after a pause; the user is quiet until frame `user_from`."""
    for i, near in enumerate(frames):
        t = t0_ns + i * FRAME_NS
        if i >= assistant_from:
            canceller.on_played(tone(FRAME), t)
        canceller(AudioFrame(samples=near, t_ns=t))
        canceller.observe(user_quiet=user_from is None or i < user_from)


def test_with_a_headset_the_user_interrupts_even_as_a_new_stretch_of_voice_starts():
    canceller = EchoCanceller(speaker_rate=RATE)
    silent = np.zeros(FRAME, np.int16)
    # 2 s of the assistant talking with nothing reaching the microphone: no echo is heard
    run(canceller, [silent] * 100, assistant_from=0, user_from=None)
    assert not canceller.echo_heard
    # a pause in the assistant's voice, then a new stretch; the user starts 40 ms into it,
    # well inside the window in which a canceller is still finding the echo again
    frames = [silent] * 15 + [silent] * 2 + [voice(FRAME, i) for i in range(10)]
    start = len(canceller._frames)
    t0 = 100 * FRAME_NS
    run(canceller, frames, assistant_from=15, user_from=17, t0_ns=t0)
    onset = t0 + 17 * FRAME_NS
    assert len(canceller._frames) > start
    assert canceller.user_above_echo(onset)
    # talking over the assistant is not mistaken for an echo path
    assert not canceller.echo_heard


def test_with_speakers_the_assistants_own_voice_is_not_taken_for_the_user():
    canceller = EchoCanceller(speaker_rate=RATE)
    echo = (tone(FRAME) * 0.5 * 32767).astype(np.int16)  # the speakers at half level
    run(canceller, [echo] * 150, assistant_from=0, user_from=None)
    assert canceller.echo_heard
    # 200 ms more of echo alone: the guard must not call it the user's speech
    since = 150 * FRAME_NS
    run(canceller, [echo] * 10, assistant_from=0, user_from=None, t0_ns=since)
    assert not canceller.user_above_echo(since)


def test_the_first_frames_of_the_users_speech_are_not_learned_as_echo():
    """The endpointer calls the first 200-400 ms of soft speech quiet until it is sure of it:
    with a headset, those frames must not teach the canceller an echo path (it would then
    clean the user's voice as if it were the assistant's, and miss the barge-in)."""
    canceller = EchoCanceller(speaker_rate=RATE)
    silent = np.zeros(FRAME, np.int16)
    run(canceller, [silent] * 100, assistant_from=0, user_from=None)
    assert not canceller.echo_heard
    # the user talks over the assistant; the endpointer is sure only after 20 frames (400 ms)
    t0 = 100 * FRAME_NS
    speech = [voice(FRAME, i) for i in range(40)]
    run(canceller, speech, assistant_from=0, user_from=20, t0_ns=t0)
    assert not canceller.echo_heard
    cleaned = canceller(AudioFrame(samples=speech[0], t_ns=t0 + 40 * FRAME_NS))
    assert np.array_equal(cleaned.samples, speech[0])  # passed through untouched
