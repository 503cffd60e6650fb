"""Scripted engines for the stage harness: no model, no thread, no real time.

- `LoudnessDetector` stands in for webrtcvad: a frame is speech when it is loud.
- `ScriptedRecognizer` streams a partial every few frames and finishes (or checkpoints) with
  the next line of its script.
- `ScriptedLlm` answers with fixed tokens and records what it was asked.
- `ToneTts` makes a fixed length of tone per word.
- `SteppedSpeaker` is the real playback queue, stepped one block at a time by the harness.
"""

from __future__ import annotations

import numpy as np

from assistant.audio.speaker import _BaseSpeaker
from assistant.stt.base import Partial, Recognizer, Transcript

RATE = 16000
FRAME = 320  # 20 ms at 16 kHz


class LoudnessDetector:
    def set_mode(self, mode: int) -> None:
        pass

    def is_speech(self, pcm: bytes, rate: int) -> bool:
        samples = np.frombuffer(pcm, dtype=np.int16).astype(np.float32)
        return float(np.sqrt(np.mean(samples * samples))) > 300.0


class ScriptedRecognizer(Recognizer):
    engine = "scripted"
    streaming = True
    supports_checkpoint = True

    def __init__(self, lines: list[str], partials: bool = True):
        super().__init__("scripted")
        self.lines = list(lines)
        self.partials = partials  # False: words only from checkpoints and finals (Whisper)
        self.utterances = 0  # begun so far: the n-th hears line n
        self.frames = 0
        self.checkpoints = 0
        # True: a checkpoint's words (the line as it was when it was asked for: the audio so
        # far) come only when the test calls release_checkpoints() (a slow decode, as
        # Whisper's is); False: at once
        self.hold_checkpoints = False
        self._held: list = []

    def checkpoint_async(self, done) -> None:
        if self.hold_checkpoints:
            self._held.append((done, self._line()))
        else:
            super().checkpoint_async(done)

    def release_checkpoints(self) -> None:
        held, self._held = self._held, []
        for done, words in held:
            self.checkpoints += 1
            done(Transcript(text=words))

    def start(self) -> None:
        pass

    def begin(self) -> None:
        super().begin()
        self.utterances += 1
        self.frames = 0

    def _line(self) -> str:
        n = self.utterances - 1
        return self.lines[n] if 0 <= n < len(self.lines) else ""

    def accept(self, samples: np.ndarray) -> Partial | None:
        self.frames += 1
        if self.frames % 10 or not self.partials:
            return None
        words = self._line().split()
        return Partial(text=" ".join(words[:max(1, self.frames // 10)]))

    def checkpoint(self) -> Transcript:
        self.checkpoints += 1
        return Transcript(text=self._line())

    def finish(self) -> Transcript:
        return Transcript(text=self._line())


class _Stream:
    def __init__(self, tokens: list[str], llm: "ScriptedLlm"):
        self.n_tokens = 0
        self.finish_reason = ""
        self._tokens, self._llm, self._cancels = tokens, llm, llm.cancels

    def __iter__(self):
        for token in self._tokens:
            if self._llm.cancels != self._cancels:
                self.finish_reason = "cancelled"
                return
            self.n_tokens += 1
            yield token
        self.finish_reason = "stop"


class ScriptedLlm:
    def __init__(self, reply: str = "Sure. Here is the answer."):
        self.tokens = [word + " " for word in reply.split()]
        self.asked: list[str] = []  # the user text of each request
        self.prefilled: list[str] = []
        self.cancels = 0

    def start(self) -> None:
        pass

    def stream_reply(self, messages: list[dict], generation: int = 0) -> _Stream:
        self.asked.append(messages[-1]["content"])
        return _Stream(self.tokens, self)

    def prefill(self, messages: list[dict], upto: str) -> bool:
        self.prefilled.append(upto)
        return True

    def cancel(self) -> None:
        self.cancels += 1

    def close(self) -> None:
        pass


class ToneTts:
    sample_rate = RATE
    first_chunk_max_words = 4

    def __init__(self, seconds_per_word: float = 0.2):
        self.samples_per_word = int(RATE * seconds_per_word)
        self.cancels = 0

    def start(self) -> None:
        pass

    def synthesize(self, text: str):
        for _word in text.split():
            yield np.full(self.samples_per_word, 0.2, np.float32)

    def cancel(self) -> None:
        self.cancels += 1

    def close(self) -> None:
        pass


class SteppedSpeaker(_BaseSpeaker):
    """The real playback queue, read one block per `step(t_ns)`; reports are handed over on
    the stepping thread."""

    def __init__(self, clock, block_ms: int = 20):
        super().__init__(clock, block_ms, None, RATE)
        self.block = np.zeros(RATE * block_ms // 1000, np.float32)
        self.audible: list[int] = []  # times of the blocks that were not silent

    def start(self) -> None:
        self._started = True

    def _consumer_running(self) -> bool:
        return False  # flush() silences on the caller's thread

    def step(self, t_ns: int) -> None:
        self._pq.read(self.block, t_ns)
        if np.any(self.block):
            self.audible.append(t_ns)
        self._pq.deliver_reports()

    def close(self) -> None:
        self._started = False


def tone(ms: int, amplitude: int = 3000) -> np.ndarray:
    t = np.arange(RATE * ms // 1000) / RATE
    return (amplitude * np.sin(2 * np.pi * 220 * t)).astype(np.int16)


def quiet(ms: int) -> np.ndarray:
    return np.zeros(RATE * ms // 1000, np.int16)


class ScriptedTurnDetector:
    """The end-of-turn model's interface, answering at once with the next probability of its
    script (the last one again when the script is used up); records the audio it heard."""

    def __init__(self, probabilities: list[float]):
        self.probabilities = list(probabilities)
        self.heard: list[np.ndarray] = []

    def ask(self, turn_id: int, request: int, audio: np.ndarray, on_verdict) -> None:
        from assistant.turn_detection.smart_turn import Verdict

        self.heard.append(audio)
        p = self.probabilities.pop(0) if len(self.probabilities) > 1 else self.probabilities[0]
        on_verdict(Verdict(turn_id, request, p, inference_ms=1.0))
