"""Between the synthesizer and the speaker: audio that must not be heard yet waits here.

- `HeldOutput`: a speculative reply (started at a pause, before the turn is known to be over)
  is held by generation; the conversation thread releases it the moment the turn ends, or
  drops it when the user goes on talking.
- `WholeReplyOutput`: the no-overlap baseline plays a reply only once all of it is
  synthesized.

`play` runs on the synthesizer's thread and resamples each piece to the speaker's rate there,
before it is held or queued, outside the lock: what is held is ready to play, so `release`
(on the conversation thread) only hands it over, and the speaker's callback only copies it.
"""

from __future__ import annotations

import threading

from assistant.audio.resample import chunk_at_rate
from assistant.conversation.stages import Speaker
from assistant.events import AudioChunk


class HeldOutput:
    def __init__(self, speaker: Speaker):
        self.speaker = speaker
        self._held: dict[int, list[AudioChunk]] = {}  # generation -> audio waiting
        # guards `_held` and the order of hand-overs; held only for dict and queue operations
        self._lock = threading.Lock()

    def hold(self, generation: int) -> None:
        with self._lock:
            for older in [g for g in self._held if g < generation]:  # stale: never heard
                del self._held[older]
            self._held.setdefault(generation, [])

    def release(self, generation: int) -> None:
        """The speculative reply was right: its held audio plays now, and what comes later
        goes straight through. The audio is at the speaker's rate already: this only queues
        it (under the lock, so a piece arriving meanwhile cannot overtake it)."""
        with self._lock:
            for chunk in self._held.pop(generation, []):
                self.speaker.play(chunk)

    def drop(self, generation: int) -> None:
        with self._lock:
            self._held.pop(generation, None)

    def play(self, chunk: AudioChunk) -> None:
        chunk = self._at_speaker_rate(chunk)
        with self._lock:
            held = self._held.get(chunk.generation)
            if held is not None:
                held.append(chunk)
                return
            self.speaker.play(chunk)

    def _at_speaker_rate(self, chunk: AudioChunk) -> AudioChunk:
        """`chunk` resampled to the speaker's rate, on the caller's (the synthesizer's)
        thread. The rate is read each time: a device can be reopened at another."""
        return chunk_at_rate(chunk, self.speaker.sample_rate)


class WholeReplyOutput(HeldOutput):
    """Every reply is held until its end marker arrives, then played in one go."""

    def play(self, chunk: AudioChunk) -> None:
        chunk = self._at_speaker_rate(chunk)
        with self._lock:
            held = self._held.setdefault(chunk.generation, [])
            held.append(chunk)
            if not chunk.last:
                return
            del self._held[chunk.generation]
            for piece in held:
                self.speaker.play(piece)
