"""Streaming recognition with Vosk (Kaldi): partial transcripts while the user speaks.

The model loads once in `start()`; one KaldiRecognizer is reused across utterances (`Reset()`
costs microseconds, a new recognizer tens of milliseconds). Vosk's word times count from the
recognizer's creation, so the samples fed before the utterance are subtracted.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from assistant.errors import ModelError
from assistant.events import WordInfo
from assistant.native_output import captured_stderr
from assistant.stt.base import (
    Partial, Recognizer, Transcript, missing_files, require_dir,
)

HINT = "download one with 'voice-assistant models download ID' or pass the folder with --model."
# A Vosk model folder: the acoustic model, its feature config, and a decoding graph, either
# static (HCLG.fst) or a lookahead pair (HCLr.fst + Gr.fst).
LAYOUT = [("am/final.mdl",), ("conf/mfcc.conf",), ("graph/HCLG.fst", "graph/HCLr.fst")]


def check_vosk_model(path: str | Path) -> Path:
    """Check the folder layout before Vosk sees it (Vosk aborts or prints pages on bad input)."""
    path = require_dir(Path(path), "Vosk model", HINT)
    missing = missing_files(path, LAYOUT)
    if (path / "graph/HCLr.fst").is_file() and not (path / "graph/Gr.fst").is_file():
        missing.append("graph/Gr.fst")
    if missing:
        raise ModelError(f"{path} is not a complete Vosk model (missing {', '.join(missing)}); {HINT}")
    with open(path / "am/final.mdl", "rb") as fh:
        head = fh.read(32)
    if b"<TransitionModel>" not in head:
        raise ModelError(f"{path / 'am/final.mdl'} is not a Kaldi acoustic model (corrupt?); {HINT}")
    return path
KALDI_LOG_PREFIXES = ("LOG (Vosk", "WARNING (Vosk", "ERROR (Vosk", "VLOG", "ASSERTION_FAILED")


def not_kaldi_log(line: str) -> bool:
    """Lines on stderr while a model loads that are not Kaldi's own log (kept, not hidden)."""
    return not line.lstrip().startswith(KALDI_LOG_PREFIXES)


class VoskRecognizer(Recognizer):
    engine = "vosk"
    streaming = True
    supports_checkpoint = True

    def __init__(self, model_path: str | Path, language: str = "en", *,
                 partial_interval_ms: int = 100):
        super().__init__(model_path, language)
        self.partial_interval_ms = partial_interval_ms
        self._model = None
        self._rec = None
        self._fed = 0  # samples fed to the recognizer since it was created
        self._utterance_start = 0
        self._since_partial = 0
        self._segments: list[dict] = []  # results Vosk finalised inside this utterance
        self._last_partial = ""

    def start(self) -> None:
        path = check_vosk_model(self.model_path)
        import vosk

        vosk.SetLogLevel(-1)
        try:
            with captured_stderr(keep=not_kaldi_log):
                self._model = vosk.Model(str(path))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise ModelError(f"Vosk could not load the model in {path} ({exc}); it may be "
                             f"corrupt or for another Vosk version; {HINT}") from None
        self._rec = vosk.KaldiRecognizer(self._model, self.sample_rate)
        self._rec.SetWords(True)
        self._rec.SetPartialWords(True)
        self._warm_up()

    def _warm_up(self) -> None:
        """The first decode of a process pays for lazy initialisation (close to a second with
        a large graph); pay it now rather than in the user's first turn."""
        noise = np.random.default_rng(0).normal(0, 300, self.sample_rate).astype(np.int16)
        self._rec.AcceptWaveform(noise.tobytes())
        self._rec.PartialResult()
        self._rec.FinalResult()
        self._rec.Reset()
        self._fed += len(noise)  # Vosk's word times keep counting across Reset()

    def begin(self) -> None:
        super().begin()
        if self._rec is None:
            raise RuntimeError("VoskRecognizer.start() was not called")
        self._rec.Reset()
        self._utterance_start = self._fed
        self._since_partial = 0
        self._segments = []
        self._last_partial = ""

    def accept(self, samples: np.ndarray) -> Partial | None:
        if self.cancelled:
            return None
        samples = np.ascontiguousarray(samples, dtype=np.int16)
        self._fed += len(samples)
        self._since_partial += len(samples)
        if self._rec.AcceptWaveform(samples.tobytes()):
            # Vosk's own endpointer closed a segment inside the utterance; keep it.
            self._segments.append(json.loads(self._rec.Result()))
            current = ""
        elif self._since_partial * 1000 >= self.partial_interval_ms * self.sample_rate:
            current = json.loads(self._rec.PartialResult()).get("partial", "")
        else:
            return None
        self._since_partial = 0
        stable = self._joined(seg.get("text", "") for seg in self._segments)
        text = self._joined([stable, current])
        if text == self._last_partial:
            return None
        self._last_partial = text
        return Partial(text=text, stable_text=stable)

    def checkpoint(self) -> Transcript:
        """Close the current Vosk segment (as Vosk's own endpointer does at a pause); the
        recognizer goes on with a new segment for whatever follows."""
        self._segments.append(json.loads(self._rec.FinalResult()))
        self._since_partial = 0
        text = self._joined(seg.get("text", "") for seg in self._segments)
        self._last_partial = text
        return Transcript(text=text)

    def finish(self) -> Transcript:
        self._segments.append(json.loads(self._rec.FinalResult()))
        offset = self._utterance_start / self.sample_rate
        words = tuple(
            WordInfo(word=w["word"], start_s=round(float(w["start"]) - offset, 3),
                     end_s=round(float(w["end"]) - offset, 3), confidence=float(w.get("conf", 1.0)))
            for seg in self._segments for w in seg.get("result", [])
        )
        text = self._joined(seg.get("text", "") for seg in self._segments)
        self._segments = []
        return Transcript(text=text, words=words)

    def close(self) -> None:
        self._rec = None
        self._model = None

    @staticmethod
    def _joined(parts) -> str:
        return " ".join(p.strip() for p in parts if p and p.strip())
