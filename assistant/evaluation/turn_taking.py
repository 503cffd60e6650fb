"""How well a replay took turns, scored against its dialog's sidecar (the true start, end and
mid-sentence pause of every sentence; see pause_dialogs.py):

- talk-overs: the assistant's audio starting while the sentence is not over (inside its pause,
  or after it while the user says the rest);
- turns per sentence: how many turns the assistant made of what was one sentence each;
- V2V from the true end: from each sentence's true end to the first reply audio after it.
"""

from __future__ import annotations

import json
from pathlib import Path

from assistant.metrics import summarize


def sidecar(wav: Path) -> dict | None:
    path = Path(wav).with_suffix(".json")
    return json.loads(path.read_text()) if path.is_file() else None


def paused_sentences(wav: Path) -> list[dict]:
    meta = sidecar(wav)
    return [s for s in (meta or {}).get("segments", []) if s.get("pauses")]


def score_pauses(turns: list[dict], sentences: list[dict]) -> dict:
    """Talk-overs, turns per sentence and V2V from the true end, over `sentences` (each with
    start_s, end_s and pauses [[start, end], ...] in seconds on the input's timeline)."""
    starts = sorted(t["t_first_audio_ms"] for t in turns if t.get("t_first_audio_ms") is not None)
    voice_turns = [t for t in turns if t.get("source") == "voice"]
    talk_overs, v2v, made = 0, [], []
    for i, sentence in enumerate(sentences):
        begin, end = sentence["start_s"] * 1000, sentence["end_s"] * 1000
        pause_start = sentence["pauses"][0][0] * 1000
        following = sentences[i + 1]["start_s"] * 1000 if i + 1 < len(sentences) else float("inf")
        if any(pause_start <= s < end for s in starts):
            talk_overs += 1
        after = [s for s in starts if end <= s < following]
        if after:
            v2v.append(round(after[0] - end, 1))
        made.append(sum(1 for t in voice_turns
                        if t.get("t_speech_start_ms") is not None
                        and begin - 300 <= t["t_speech_start_ms"] < end))
    n = len(sentences)
    return {"sentences": n, "talk_overs": talk_overs,
            "turns_per_sentence": round(sum(made) / n, 2) if n else None,
            "answered": len(v2v), "v2v_from_true_end_ms": {**summarize(v2v), "values": v2v}}


def end_of_turn_figures(turns: list[dict]) -> dict:
    """How the turns ended and what the model cost: counts by reason, the endpointing stage
    and the model's inference time."""
    by: dict[str, int] = {}
    inference = []
    for turn in turns:
        info = turn.get("end_of_turn") or {}
        reason = info.get("by") or "?"
        by[reason] = by.get(reason, 0) + 1
        inference += info.get("inference_ms") or []
    return {"ended_by": by,
            "endpointing_ms": summarize((t.get("stages_ms") or {}).get("endpointing")
                                        for t in turns),
            "model_inference_ms": summarize(inference)}
