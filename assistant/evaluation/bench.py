"""`voice-assistant bench`: replay dialogs in both modes and report what the turns cost.

Each file is replayed streaming (every stage overlapped) and sequential (the no-overlap
baseline) with the same warm engines. The report holds p50/p95 V2V per mode, the stage
breakdown, barge-in latency (onset of the interrupting speech to silent output), the
sequential/streaming ratio on replies of two or more sentences, peak RSS and CPU time.
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.config import Settings
from assistant.metrics import percentile, summarize
from assistant.conversation.replay import run_replay, summarize_turns

MODES = ("streaming", "sequential")


def sentence_count(text: str) -> int:
    return len([s for s in re.split(r"(?<=[.!?。？！])\s+", text.strip()) if len(s) > 1])


QUIET_BEFORE_ONSET_S = 0.25  # an onset follows at least this much quiet (a pause between phrases)


def true_onsets(wav: Path) -> list[float]:
    """Where sound starts in the input file (ms): the start of each run of sound that follows
    at least 250 ms of quiet (10 ms windows above -45 dBFS, as `assistant.evaluation.wavcheck` finds
    utterances). Read from the audio itself, not from how the file was made, so that a pause
    inside one utterance (the second half of which may interrupt the reply to the first)
    counts as the onset it is."""
    from assistant.evaluation.wavcheck import load_mono, segments

    audio, rate = load_mono(wav)
    return [round(float(seg.start_s) * 1000, 1)
            for seg in segments(audio, rate, min_gap_s=QUIET_BEFORE_ONSET_S, min_len_s=0.0)]


def barge_in_from_true_onset(barge_ins: list[dict], onsets_ms: list[float]) -> list[float]:
    """Barge-in latency measured from the onset of the interrupting speech in the input file
    (the latest onset at or before the one the endpointer detected, allowing 100 ms)."""
    values = []
    for barge in barge_ins:
        candidates = [o for o in onsets_ms if o <= barge["t_onset_ms"] + 100]
        if candidates:
            values.append(round(barge["t_silent_ms"] - max(candidates), 1))
    return values


def run_bench(settings: Settings, files: list[Path], repeat: int = 1, progress=print) -> dict:
    from assistant.conversation.wiring import Engines

    engines = Engines.from_settings(settings, notify=progress)
    engines.start()
    runs = []
    base_seed = settings.llm.seed
    try:
        for round_no in range(repeat):
            # each round samples other replies (the same in both modes): more rounds measure
            # more kinds of reply, not the same words again
            if base_seed >= 0:
                settings.llm.seed = base_seed + round_no
            for wav in files:
                for mode in MODES:
                    result = run_replay(settings, wav, engines=engines,
                                        sequential=mode == "sequential", render_out=False)
                    for turn in result.turns:
                        turn.update(file=wav.name, mode=mode, round=round_no)
                    runs.append((wav, mode, result))
                    s = result.summary()
                    progress(f"{wav.name} {mode}: {s['turns']} turns, V2V p50 "
                             f"{s['v2v_ms']['p50']} ms p95 {s['v2v_ms']['p95']} ms")
    finally:
        settings.llm.seed = base_seed
        engines.close()
    return build_report(runs)


def build_report(runs) -> dict:
    report = {"modes": {}, "turns": []}
    for mode in MODES:
        turns = [t for _, m, r in runs if m == mode for t in r.turns]
        barge = [b for _, m, r in runs if m == mode for b in r.barge_ins]
        true_barge = [b for wav, m, r in runs if m == mode
                      for b in barge_in_from_true_onset(r.barge_ins, true_onsets(wav))]
        summary = summarize_turns(turns, barge)
        summary["barge_in_from_true_onset_ms"] = {**summarize(true_barge), "values": true_barge}
        report["modes"][mode] = summary
        report["turns"] += turns
    multi = {m: [t["v2v_ms"] for t in report["turns"] if t["mode"] == m
                 and t["v2v_ms"] is not None and sentence_count(t["full_reply_text"]) >= 2]
             for m in MODES}
    seq, stream = percentile(multi["sequential"], 50), percentile(multi["streaming"], 50)
    report["sequential_over_streaming"] = {
        "turns_with_2plus_sentences": {m: len(v) for m, v in multi.items()},
        "p50_ratio": round(seq / stream, 2) if seq and stream else None,
    }
    last = report["modes"]["sequential"]
    report["peak_rss_mb"] = last["peak_rss_mb"]
    report["cpu_time_s"] = last["cpu_time_s"]
    return report


def format_report(report: dict) -> str:
    lines = []
    for mode, s in report["modes"].items():
        v = s["v2v_ms"]
        lines.append(f"{mode:>10}: {s['turns']} turns  V2V p50 {v['p50']} ms  p95 {v['p95']} ms"
                     f"  max {v['max']} ms")
        stages = "  ".join(f"{name} {st['p50']}/{st['p95']}" for name, st in
                           s["stages_ms"].items())
        lines.append(f"{'':>12}stages p50/p95 ms: {stages}")
        b, tb = s["barge_in_ms"], s["barge_in_from_true_onset_ms"]
        d = s["barge_in_detect_to_silent_ms"]
        if b["count"]:
            lines.append(f"{'':>12}barge-in: {b['count']}  from detected onset p50 {b['p50']} "
                         f"p95 {b['p95']} ms; from true onset p50 {tb['p50']} p95 {tb['p95']} ms;"
                         f" detection to silent p50 {d['p50']} p95 {d['p95']} ms")
    ratio = report["sequential_over_streaming"]
    lines.append(f"sequential/streaming V2V p50 ratio (replies of 2+ sentences): "
                 f"{ratio['p50_ratio']}  (turns: {ratio['turns_with_2plus_sentences']})")
    lines.append(f"peak RSS {report['peak_rss_mb']} MB, CPU time {report['cpu_time_s']} s")
    return "\n".join(lines)
