"""Between the synthesizer and the speaker: audio that must not be heard yet waits here.

- `HeldOutput`: a speculative reply (started at a pause, before the turn is known to be over)
  is held by generation; the conversation thread releases it the moment the turn ends, or
  drops it when the user goes on talking.
- `WholeReplyOutput`: the no-overlap baseline plays a reply only once all of it is
  synthesized.
"""

from __future__ import annotations

import threading

from assistant.conversation.stages import Speaker
from assistant.events import AudioChunk


class HeldOutput:
    def __init__(self, speaker: Speaker):
        self.speaker = speaker
        self._held: dict[int, list[AudioChunk]] = {}  # generation -> audio waiting
        self._lock = threading.Lock()

    def hold(self, generation: int) -> None:
        with self._lock:
            for older in [g for g in self._held if g < generation]:  # stale: never heard
                del self._held[older]
            self._held.setdefault(generation, [])

    def release(self, generation: int) -> None:
        """The speculative reply was right: its held audio plays now, and what comes later
        goes straight through."""
        with self._lock:
            for chunk in self._held.pop(generation, []):
                self.speaker.play(chunk)

    def drop(self, generation: int) -> None:
        with self._lock:
            self._held.pop(generation, None)

    def play(self, chunk: AudioChunk) -> None:
        with self._lock:
            held = self._held.get(chunk.generation)
            if held is not None:
                held.append(chunk)
                return
            self.speaker.play(chunk)


class WholeReplyOutput(HeldOutput):
    """Every reply is held until its end marker arrives, then played in one go."""

    def play(self, chunk: AudioChunk) -> None:
        with self._lock:
            held = self._held.setdefault(chunk.generation, [])
            held.append(chunk)
            if not chunk.last:
                return
            del self._held[chunk.generation]
            for piece in held:
                self.speaker.play(piece)
