"""Recognition with faster-whisper (CTranslate2, int8 on the CPU).

Whisper cannot stream: the utterance is buffered as it arrives and decoded at the end of the
turn, at its own length rather than padded to 30 s (whisper_trimmed.py). While the user talks,
the utterance so far is decoded again now and then for live partial words (whisper_live.py);
those are only shown, never the checkpoint or the final (they may miss the last words). We
segment the audio ourselves, so Whisper's own VAD filter stays off; greedy decoding at
temperature 0 with no fallback keeps the final decode short and predictable.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from assistant.audio.devices import dbfs
from assistant.errors import ModelError, first_line
from assistant.events import WordInfo
from assistant.native_output import captured_stderr
from assistant.stt import whisper_trimmed
from assistant.stt.whisper_loops import first_pass
from assistant.stt.base import (
    Partial, Recognizer, Transcript, missing_files, require_dir,
)

log = logging.getLogger(__name__)
BEHIND_FRAMES = 5  # frames queued for the recognizer: a partial decode would fall further behind
HINT = "download one with 'voice-assistant models download whisper-tiny' or pass the folder with --model."
LAYOUT = [("model.bin",), ("config.json",), ("tokenizer.json", "vocabulary.txt", "vocabulary.json")]


def check_whisper_model(path: str | Path) -> Path:
    """A CTranslate2 Whisper folder. Checked first: given a missing path, faster-whisper would
    take it for a model name and try to download it."""
    path = require_dir(Path(path), "Whisper model", HINT)
    missing = missing_files(path, LAYOUT)
    if missing:
        raise ModelError(f"{path} is not a complete Whisper model (missing {', '.join(missing)}); {HINT}")
    return path


class WhisperRecognizer(Recognizer):
    engine = "whisper"
    streaming = False
    supports_checkpoint = True

    def __init__(self, model_path: str | Path, language: str = "en", *, beam_size: int = 1,
                 word_timestamps: bool = False, cpu_threads: int = 0, trimmed: bool = True,
                 live_partials: bool = True):
        super().__init__(model_path, language)
        self.trimmed = trimmed  # finals at their own length (see whisper_trimmed.py)
        # partials are always decoded at their own length (a full window each is too slow)
        self.live_partials = live_partials and not word_timestamps
        self._trimmed_decoder = None
        self.live = None  # a LivePartials once started
        self._speaking = True
        self._samples = 0
        self.fallbacks = 0  # trimmed decodes the guards refused
        self.beam_size = beam_size
        self.word_timestamps = word_timestamps
        self.cpu_threads = cpu_threads or min(4, os.cpu_count() or 1)
        self._model = None
        self._chunks: list[np.ndarray] = []

    def start(self) -> None:
        path = check_whisper_model(self.model_path)
        from faster_whisper import WhisperModel

        try:
            with captured_stderr(keep=lambda line: "[ctranslate2]" not in line):
                self._model = WhisperModel(str(path), device="cpu", compute_type="int8",
                                           cpu_threads=self.cpu_threads, local_files_only=True)
        except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError on bad files
            reason = first_line(exc)
            raise ModelError(f"faster-whisper could not load the model in {path} ({reason}); "
                             f"it may be corrupt; {HINT}") from None
        if not self._model.model.is_multilingual and self.language not in ("en", ""):
            log.info("Whisper model %s is English-only; transcribing as English", path)
        if self.trimmed or self.live_partials:
            self._trimmed_decoder = whisper_trimmed.TrimmedDecoder(self._model,
                                                                   self.decode_language)
        if self.live_partials:
            from assistant.stt.whisper_live import LivePartials

            self.live = LivePartials(self._decode_partial)
        self._warm_up()

    def _warm_up(self) -> None:
        """CTranslate2's first encode and decode of a process are slow (allocation, kernel
        choice): pay them now, on every path a turn may take (a trimmed decode at each
        margin, the full window), not in the user's first turn."""
        noise = np.random.default_rng(0).normal(0, 300, 2 * 16000).astype(np.float32) / 32768
        if self._trimmed_decoder is not None:
            for margin in whisper_trimmed.MARGINS_S:
                self._trimmed_decoder.decode(noise, margins=(margin,))
        segments, _info = self._model.transcribe(
            noise, language=self.decode_language, beam_size=self.beam_size, temperature=0.0,
            vad_filter=False, without_timestamps=True)
        list(segments)  # a generator: the decoding happens here

    @property
    def decode_language(self) -> str | None:
        if self._model is not None and not self._model.model.is_multilingual:
            return "en"
        return self.language or None

    def begin(self) -> None:
        super().begin()
        if self._model is None:
            raise RuntimeError("WhisperRecognizer.start() was not called")
        self._chunks = []
        self._samples = 0
        self._checkpoint = None
        self._checkpoint_at = 0
        if self.live is not None:
            self.live.reset()

    def user_speaking(self, speaking: bool) -> None:
        self._speaking = speaking

    def accept(self, samples: np.ndarray) -> Partial | None:
        if self.cancelled:
            return None
        chunk = np.asarray(samples, dtype=np.int16).copy()
        self._chunks.append(chunk)
        self._samples += len(chunk)
        live = self.live
        behind = self.backlog() > BEHIND_FRAMES or self.final_waiting()
        if live is None or not live.due(self._samples, speaking=self._speaking, behind=behind):
            return None
        return live.decode(self._chunks, self._samples, self._abandon_partial)

    def _abandon_partial(self) -> bool:
        return self.cancelled or self.final_waiting()

    def _decode_partial(self, audio: np.ndarray, abandon) -> str | None:
        """The first two margins only (a partial refused by both is simply not shown)."""
        return self._trimmed_decoder.decode(audio, abandon,
                                            margins=whisper_trimmed.MARGINS_S[:2])

    def checkpoint(self) -> Transcript:
        """Decode what was heard so far; `finish()` reuses it when nothing came after."""
        self._checkpoint = self._decode(list(self._chunks))
        self._checkpoint_at = len(self._chunks)
        return self._checkpoint

    def finish(self) -> Transcript:
        chunks, self._chunks = self._chunks, []
        checkpoint, self._checkpoint = self._checkpoint, None
        if checkpoint is not None and not self.cancelled and _quiet(chunks[self._checkpoint_at:]):
            return checkpoint  # only silence since the checkpoint: no second decode
        return self._decode(chunks)

    def transcribe_once(self, samples: np.ndarray, words: bool = False) -> Transcript:
        """The final decode alone (no live partials on the way)."""
        self._cancelled.clear()
        return self._decode([samples], word_times=words or self.word_timestamps)

    def _decode(self, chunks: list, word_times: bool | None = None) -> Transcript:
        if self.cancelled or not chunks:
            return Transcript(text="")
        word_timestamps = self.word_timestamps if word_times is None else word_times
        audio = np.concatenate(chunks).astype(np.float32) / 32768.0
        decoder = self._trimmed_decoder if self.trimmed else None
        if decoder is not None and not word_timestamps and decoder.fits(audio):
            text = decoder.decode(audio)
            if self.cancelled:
                return Transcript(text="")  # cancelled while it decoded: the words are dropped
            if text is not None:
                return Transcript(text=text)
            self.fallbacks += 1
            log.info("trimmed Whisper decode %s; decoding the full window", decoder.last_refusal)
        segments, _info = self._model.transcribe(
            audio, language=self.decode_language, beam_size=self.beam_size, temperature=0.0,
            vad_filter=False, condition_on_previous_text=False,
            word_timestamps=word_timestamps, without_timestamps=not word_timestamps,
        )
        texts, words = [], []
        for segment in segments:  # a generator: decoding happens while iterating
            if self.cancelled:
                return Transcript(text="")
            texts.append(segment.text.strip())
            words.extend(
                WordInfo(word=w.word.strip(), start_s=round(w.start, 3), end_s=round(w.end, 3),
                         confidence=round(float(w.probability), 3))
                for w in (segment.words or ())
            )
        text = " ".join(t for t in texts if t)
        head = first_pass(text)
        if head is not None:  # said again after the audio ran out: the first pass is the words
            log.info("Whisper said %r again; keeping the first pass", head)
            text, words = head, words[:len(head.split())]
        return Transcript(text=text, words=tuple(words))

    def close(self) -> None:
        self._model = None
        self._chunks = []


def _quiet(chunks: list, threshold_dbfs: float = -45.0) -> bool:
    """True when the audio holds no frame louder than `threshold_dbfs` (pause, no words)."""
    for chunk in chunks:
        if len(chunk) and dbfs(chunk) > threshold_dbfs:
            return False
    return True
