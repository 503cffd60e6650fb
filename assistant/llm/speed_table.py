"""The speed of each catalog LLM on this machine: cached measurements, new ones when asked,
estimates for the rest (`speed_estimate.py`).

The reference is the default LLM (installed by set-up): it is the one model every machine
has, so it is measured first, on first run. Other installed models are measured when the
person asks (`models speed`, the settings dialog) and are then used as they are measured.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from assistant.config import LlmSettings
from assistant.errors import UserError
from assistant.llm import speed
from assistant.llm.speed_cache import SpeedCache
from assistant.llm.speed_estimate import ExpectedSpeed, expected_speeds

log = logging.getLogger(__name__)

REFERENCE = LlmSettings().model  # the default LLM


@dataclass
class SpeedTable:
    """Every catalog LLM's expected speed, and what could not be measured (one line each)."""

    speeds: list[ExpectedSpeed]
    problems: list[str] = field(default_factory=list)
    installed: set[str] = field(default_factory=set)

    def get(self, model_id: str) -> ExpectedSpeed | None:
        return next((s for s in self.speeds if s.model_id == model_id), None)


def catalog_llms(manager) -> list[tuple[str, int | None]]:
    """(id, parameters) of the catalog's LLMs, smallest first."""
    llms = [(e.id, e.parameters) for e in manager.catalog() if e.kind == "llm-gguf"]
    return sorted(llms, key=lambda item: item[1] or 0)


def installed_llms(manager) -> set[str]:
    try:
        return {m.id for m in manager.find_installed("llm-gguf")}
    except Exception:  # an unreadable registry: nothing counts as installed
        log.warning("could not read the installed models", exc_info=True)
        return set()


def measured(model_id: str, manager, settings: LlmSettings, cache: SpeedCache,
             again: bool = False) -> speed.SpeedMeasurement:
    """The model's measurement: from the cache while its facts hold (unless `again`), else
    timed now and kept. ModelError (one sentence) for a missing or damaged model."""
    path = manager.resolve("llm-gguf", model_id)
    facts = speed.machine_facts(model_id, path, settings)
    if not again:
        known = cache.get(model_id, facts)
        if known is not None:
            return known
    result = speed.measure(model_id, path, settings)
    cache.put(result, facts)
    log.info("measured %s: %.0f ms to the first token, %.0f tokens/s", model_id,
             result.ttft_ms, result.tokens_per_s)
    return result


def cached_only(model_id: str, manager, settings: LlmSettings,
                cache: SpeedCache) -> speed.SpeedMeasurement | None:
    """The cached measurement of an installed model, without timing anything."""
    try:
        path = manager.resolve("llm-gguf", model_id)
    except UserError:
        return None
    return cache.get(model_id, speed.machine_facts(model_id, path, settings))


def speed_table(manager, settings: LlmSettings, cache: SpeedCache | None = None, *,
                measure: str = "", again: bool = False,
                progress: Callable[[str], None] | None = None) -> SpeedTable:
    """The table. `measure`: "" times nothing (cached figures only, quick enough for the GUI
    thread), "reference" times the default LLM if its figure is not cached, "installed"
    every installed catalog LLM not cached; `again` times them even when cached.
    `progress(model_id)` is called before each model is looked at."""
    cache = cache or SpeedCache()
    llms = catalog_llms(manager)
    installed = installed_llms(manager)
    to_time = {"reference": {REFERENCE}, "installed": set(installed)}.get(measure, set())
    measurements, problems = {}, []
    for model_id, _ in llms:
        if model_id not in installed:
            continue
        if progress is not None:
            progress(model_id)
        try:
            if model_id in to_time:
                measurements[model_id] = measured(model_id, manager, settings, cache, again)
            elif (known := cached_only(model_id, manager, settings, cache)) is not None:
                measurements[model_id] = known
        except UserError as exc:
            problems.append(str(exc))
        except Exception as exc:  # llama.cpp failing in a way it has no message for
            log.warning("timing %s failed", model_id, exc_info=True)
            problems.append(f"{model_id} could not be timed ({type(exc).__name__}: {exc}).")
    if measure and not measurements and not problems:
        problems.append(_why_not_measured(manager))
    return SpeedTable(expected_speeds(llms, measurements), problems, installed)


def _why_not_measured(manager) -> str:
    """One sentence on why the default LLM could not be timed (it is not there)."""
    try:
        manager.resolve("llm-gguf", REFERENCE)
    except UserError as exc:
        return str(exc)
    return f"No installed LLM could be timed; run: voice-assistant models download {REFERENCE}"
