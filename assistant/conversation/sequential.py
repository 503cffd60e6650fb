"""The no-overlap baseline, as a wiring of the same stages: each one buffers its whole input
and only then runs, so nothing overlaps. What it costs against the streaming loop is the
headline figure of the bench.

- `WholeUtterance`: the recognizer hears the turn only once it has ended (no partials, no
  checkpoint, so no speculative start).
- `WholeReplyChunker`: the reply is one chunk, made when the LLM has written all of it.
- `conversation.output.WholeReplyOutput`: its audio plays once all of it is synthesized.
"""

from __future__ import annotations

import numpy as np

from assistant.stt.base import Recognizer, Transcript


class WholeUtterance(Recognizer):
    """Holds the utterance's audio; recognises all of it at `finish()`."""

    streaming = False
    supports_checkpoint = False

    def __init__(self, inner: Recognizer):
        super().__init__(inner.model_path, inner.language)
        self.inner = inner
        self.engine = inner.engine
        self.sample_rate = inner.sample_rate
        self._held: list[np.ndarray] = []

    def start(self) -> None:
        self.inner.start()

    def begin(self) -> None:
        super().begin()
        self._held = []
        self.inner.begin()

    def accept(self, samples: np.ndarray):
        self._held.append(np.array(samples, dtype=np.int16, copy=True))
        return None

    def finish(self) -> Transcript:
        self._hand_over()
        return self.inner.finish()

    def finish_async(self, done) -> None:
        self._hand_over()
        self.inner.finish_async(done)

    def _hand_over(self) -> None:
        held, self._held = self._held, []
        self.inner.user_speaking(False)  # no live partials in the baseline: the whole at once
        for samples in held:
            self.inner.accept(samples)

    def cancel(self) -> None:
        super().cancel()
        self.inner.cancel()

    @property
    def cancelled(self) -> bool:
        return super().cancelled or self.inner.cancelled

    def close(self) -> None:
        self.inner.close()


class WholeReplyChunker:
    """The chunker's interface, with one chunk: the whole reply, when it is all written."""

    def __init__(self, make_chunker):
        self._chunker = make_chunker()
        self._text = ""

    def feed(self, token: str, tokens_so_far: int | None = None) -> list[str]:
        self._text += token
        return []

    def drop_unfinished_sentence(self) -> str:
        return ""  # like a chunker with nothing said yet: the whole reply is all there is

    def flush(self) -> list[str]:
        chunks = self._chunker.feed(self._text) + self._chunker.flush()
        self._text = ""
        text = " ".join(chunks).strip()
        return [text] if text else []
