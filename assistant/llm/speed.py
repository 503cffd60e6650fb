"""How fast an LLM answers on this machine, measured with the real engine.

The probe loads a GGUF through `LlmEngine` (the same load, re-encoding and warm-up as the
conversation's), then asks a few short spoken questions as the loop sends them: the system
prompt is already in llama.cpp's cache (the warm-up put it there, as it stays there between
turns), so each question costs the evaluation of its own words and the assistant's header,
then the first token. It times that (the time to first token, TTFT) and how fast the next
tokens come (generation). The figures are medians over the runs.

A probe runs a few short questions, so it is quick for a small model, but it loads the model
and keeps the CPU busy while it runs: a result is kept with the facts it depends on
(`speed_cache.py`), so it is measured again only when those change.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import statistics
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.clock import DEFAULT_CLOCK, NS_PER_MS, NS_PER_S, Clock
from assistant.config import LlmSettings
from assistant.errors import ModelError

# short questions as a person says them; each run asks the next one with a fresh history
QUESTIONS = ("What is the capital of France?", "How far away is the moon?",
             "Give me a tip for sleeping better.", "Why is the sky blue?",
             "What should I cook for dinner tonight?")
RUNS = 5
GENERATED_TOKENS = 16  # enough to time generation, few enough to stay quick on a big model


@dataclass(frozen=True)
class SpeedMeasurement:
    """What the probe measured for one model: medians over `runs` questions."""

    model_id: str
    ttft_ms: float  # the chat sent (system prompt cached) -> the first token of the reply
    tokens_per_s: float  # generation, after the first token
    prompt_tokens: float  # tokens each question left to evaluate (median)
    runs: int

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SpeedMeasurement":
        return cls(model_id=str(data["model_id"]), ttft_ms=float(data["ttft_ms"]),
                   tokens_per_s=float(data["tokens_per_s"]),
                   prompt_tokens=float(data["prompt_tokens"]), runs=int(data["runs"]))


def llama_cpp_version() -> str:
    """The installed llama-cpp-python's version, without loading its library."""
    from importlib import metadata

    try:
        return metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:  # a bundle without the package's metadata
        try:
            import llama_cpp

            return str(llama_cpp.__version__)
        except ImportError:
            return "none"


@lru_cache(maxsize=1)
def processor_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.lower().startswith(("model name", "hardware")):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_facts(model_id: str, model_path: Path | str, settings: LlmSettings) -> dict:
    """What a measurement of `model_id` depends on; a cached one whose facts differ from
    these is measured again."""
    from assistant.llm.engine import physical_cores

    path = Path(model_path)
    try:
        size = path.stat().st_size
    except OSError:
        size = -1
    return {"model_id": model_id, "model_bytes": size, "cpus": os.cpu_count() or 1,
            "processor": processor_name(), "llama_cpp": llama_cpp_version(),
            "threads": settings.threads or physical_cores(),
            "reencode_slow_weights": settings.reencode_slow_weights}


def measure(model_id: str, model_path: Path | str, settings: LlmSettings, runs: int = RUNS,
            clock: Clock = DEFAULT_CLOCK,
            questions: tuple[str, ...] = QUESTIONS) -> SpeedMeasurement:
    """Load the model and time `runs` questions. A missing or damaged file raises ModelError
    (one sentence) before anything is timed."""
    from assistant.llm.engine import LlmEngine

    probe = dataclasses.replace(settings, max_tokens=GENERATED_TOKENS + 1, temperature=0.0,
                                seed=1)
    engine = LlmEngine(probe, model_path, clock=clock)
    try:
        engine.start()
        cached = engine.render_prompt(engine.new_history().messages_for("Hi"))
        ttfts, rates, prompt_tokens = [], [], []
        for n in range(max(1, runs)):
            messages = engine.new_history().messages_for(questions[n % len(questions)])
            prompt = engine.render_prompt(messages)
            prompt_tokens.append(engine.count_tokens(prompt[len(os.path.commonprefix(
                [cached, prompt])):]))
            cached = prompt
            first, rate = _time_reply(engine, messages, clock)
            if first is None:
                continue
            ttfts.append(first)
            if rate is not None:
                rates.append(rate)
    finally:
        engine.close()
    if not ttfts:
        raise ModelError(f"The LLM {model_id} gave no reply to time; choose another model.")
    return SpeedMeasurement(model_id=model_id, ttft_ms=round(statistics.median(ttfts), 1),
                            tokens_per_s=round(statistics.median(rates), 1) if rates else 0.0,
                            prompt_tokens=statistics.median(prompt_tokens), runs=len(ttfts))


def _time_reply(engine, messages: list[dict], clock: Clock) -> tuple[float | None, float | None]:
    """The milliseconds to the first token, and the tokens a second after it (None when the
    reply was too short to tell)."""
    start = clock.now_ns()
    first: tuple[int, int] | None = None
    last = first
    stream = engine.stream_reply(messages)
    for _ in stream:
        last = (clock.now_ns(), stream.n_tokens)
        first = first or last
    if first is None:
        return None, None
    ttft = (first[0] - start) / NS_PER_MS
    if last[1] <= first[1] or last[0] <= first[0]:
        return ttft, None
    return ttft, (last[1] - first[1]) * NS_PER_S / (last[0] - first[0])
