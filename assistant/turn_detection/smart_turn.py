"""Smart Turn v3.2 through ONNX Runtime: the probability that the turn is complete.

The model (a Whisper-tiny encoder and a linear head, about 8 M parameters, int8 for the CPU)
takes `input_features` float32 [1, 80, 800] and ends in a sigmoid: one number in [0, 1]. One
call runs the encoder over 8 s of audio, which takes many times the 20 ms a frame lasts, so it
runs on a thread of its own (`TurnDetectorThread`), never on the one that handles audio
frames; the session is loaded once and warmed at start-up, so the first pause pays for
neither.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from assistant.errors import ModelError, first_line
from assistant.turn_detection.features import N_FRAMES, N_MELS, turn_features

log = logging.getLogger(__name__)

INPUT = "input_features"


def _session(path: Path, threads: int):
    import onnxruntime

    from assistant.offline import disable_onnxruntime_telemetry

    disable_onnxruntime_telemetry()
    options = onnxruntime.SessionOptions()
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = threads
    options.log_severity_level = 3
    try:
        return onnxruntime.InferenceSession(str(path), sess_options=options,
                                            providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for a bad file
        reason = first_line(exc)
        raise ModelError(f"The end-of-turn model {path.name} could not be loaded ({reason}); "
                         "download it again with: voice-assistant models download "
                         "smart-turn-v3.2-cpu") from None


def check_graph(path: Path) -> None:
    """ModelError unless `path` is a model that takes Smart Turn's input and gives one number."""
    session = _session(Path(path), threads=1)
    inputs, outputs = session.get_inputs(), session.get_outputs()
    shape = list(inputs[0].shape) if inputs else []
    if len(inputs) != 1 or inputs[0].name != INPUT or shape[1:] != [N_MELS, N_FRAMES] \
            or len(outputs) != 1:
        raise ModelError(f"{Path(path).name} is not a Smart Turn model (it takes "
                         f"{[i.name for i in inputs]} {shape}); use a Smart Turn v3 .onnx file.")


class SmartTurn:
    """Stage shape: cheap constructor, `start()` loads and warms, `probability(audio)`."""

    def __init__(self, model_path: str | Path, threads: int = 1):
        self.model_path = Path(model_path)
        self.threads = threads
        self._session = None

    def start(self) -> None:
        if self._session is not None:
            return
        self._session = _session(self.model_path, self.threads)
        self.probability(np.zeros(16000, np.int16))  # the first run of a session is slow

    def probability(self, audio: np.ndarray) -> float:
        """That the turn whose audio (16 kHz, int16 or float) this is, is complete."""
        if self._session is None:
            raise RuntimeError("SmartTurn.start() was not called")
        out = self._session.run(None, {INPUT: turn_features(audio)})[0]
        return float(np.asarray(out).ravel()[0])

    def close(self) -> None:
        self._session = None


@dataclass(frozen=True)
class Verdict:
    turn_id: int
    request: int  # which pause of the turn it answers
    probability: float
    inference_ms: float


class TurnDetectorThread:
    """The detector on a thread of its own: `ask()` queues the audio of a pause and returns at
    once; `on_verdict(Verdict)` is called from that thread when the model has answered. Only
    the newest question counts: an older one still queued is skipped."""

    def __init__(self, detector: SmartTurn):
        self.detector = detector
        self._jobs: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self.inference_ms: list[float] = []  # the latest calls (bounded), for the window

    def start(self) -> None:
        self.detector.start()
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="turn-detector", daemon=True)
            self._thread.start()

    def ask(self, turn_id: int, request: int, audio: np.ndarray,
            on_verdict: Callable[[Verdict], None]) -> None:
        self._jobs.put((turn_id, request, audio, on_verdict))

    def close(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(5)
            self._thread = None
        self.detector.close()

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            while job is not None and not self._jobs.empty():
                job = self._jobs.get()  # a newer pause came meanwhile: answer that one
            if job is None:
                return
            turn_id, request, audio, on_verdict = job
            began = time.perf_counter()
            try:
                probability = self.detector.probability(audio)
            except Exception:
                log.exception("the end-of-turn model failed; the turn ends on silence")
                probability = 0.0  # an answer all the same: "not sure", so silence decides
            spent = (time.perf_counter() - began) * 1000
            self.inference_ms = (self.inference_ms + [spent])[-200:]
            on_verdict(Verdict(turn_id, request, probability, round(spent, 1)))
