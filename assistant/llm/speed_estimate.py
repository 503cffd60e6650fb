"""The expected speed of every catalog LLM on this machine, and which one to offer.

Only the models on this disk can be timed, so the others are estimated from a measured one:
on a CPU, evaluating a prompt and generating a token both cost about one multiply-add per
weight, so the time to first token grows, and the tokens a second fall, in proportion to the
parameter count (`parameters` in the catalog). An estimate is scaled from the measured model
nearest in size (the default, unless a bigger one was measured too):

    ttft(model)   = ttft(measured)   * parameters(model) / parameters(measured)
    tokens_per_s  = tokens_per_s(measured) / (the same ratio)

It is an estimate and is labelled so everywhere it is shown; a model that is installed is
measured for real (`voice-assistant models speed`, or Settings > Language model, "Measure").
What the ratio leaves out (checked with `python -m assistant.evaluation.llm_speed_check`; the
figures are in the README, "A stronger LLM"): part of the time to first token on a short
question does not grow with the prompt, and a prompt computes the output layer only once, so
the first token comes sooner than estimated; a generated token pays for the whole vocabulary
each time, in llama.cpp and in llama-cpp-python, so a model with a bigger vocabulary than the
measured one writes slower than estimated. An offer made on the estimated time to first token
errs on the safe side.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.llm.speed import SpeedMeasurement

CONVERSATIONAL_TTFT_MS = 300.0  # a reply that starts later than this feels like a wait


@dataclass(frozen=True)
class ExpectedSpeed:
    """How fast one LLM should answer here: measured, or scaled from the model `basis`."""

    model_id: str
    parameters: int | None
    ttft_ms: float | None  # None: no measured model to scale from, or no parameter count
    tokens_per_s: float | None
    measured: bool
    basis: str | None = None  # the measured model the figures come from (itself if measured)

    @property
    def known(self) -> bool:
        return self.ttft_ms is not None

    def to_dict(self) -> dict:
        return {"model_id": self.model_id, "parameters": self.parameters,
                "ttft_ms": self.ttft_ms, "tokens_per_s": self.tokens_per_s,
                "how": "measured" if self.measured else ("estimated" if self.known else "unknown"),
                "basis": self.basis}


def scaled(measurement: SpeedMeasurement, measured_parameters: int,
           parameters: int) -> tuple[float, float]:
    """(ttft_ms, tokens_per_s) of a model of `parameters`, from a measured one's."""
    ratio = parameters / measured_parameters
    return (round(measurement.ttft_ms * ratio, 1), round(measurement.tokens_per_s / ratio, 1))


def expected_speeds(models: list[tuple[str, int | None]],
                    measurements: dict[str, SpeedMeasurement]) -> list[ExpectedSpeed]:
    """One ExpectedSpeed for each (model id, parameter count), in the order given:
    measured where `measurements` has the model, else scaled from the measured model nearest
    in parameter count."""
    sizes = dict(models)
    bases = [(sizes[model_id], m) for model_id, m in measurements.items()
             if sizes.get(model_id)]
    speeds = []
    for model_id, parameters in models:
        own = measurements.get(model_id)
        if own is not None:
            speeds.append(ExpectedSpeed(model_id, parameters, own.ttft_ms, own.tokens_per_s,
                                        measured=True, basis=model_id))
        elif parameters and bases:
            size, basis = min(bases, key=lambda b: abs(b[0] - parameters))
            ttft, rate = scaled(basis, size, parameters)
            speeds.append(ExpectedSpeed(model_id, parameters, ttft, rate, measured=False,
                                        basis=basis.model_id))
        else:
            speeds.append(ExpectedSpeed(model_id, parameters, None, None, measured=False))
    return speeds


def model_to_offer(speeds: list[ExpectedSpeed], current: str, installed: set[str],
                   limit_ms: float = CONVERSATIONAL_TTFT_MS) -> ExpectedSpeed | None:
    """The strongest (most parameters) model expected to start its reply within `limit_ms`,
    if it is stronger than `current` and not installed yet; else None. A current model of
    unknown size (a file of the person's own) is left alone."""
    by_id = {s.model_id: s for s in speeds}
    mine = by_id.get(current)
    if mine is None or not mine.parameters:
        return None
    fast = [s for s in speeds if s.known and s.parameters and s.ttft_ms < limit_ms]
    if not fast:
        return None
    best = max(fast, key=lambda s: s.parameters)
    if best.parameters <= mine.parameters or best.model_id in installed:
        return None
    return best
