"""`voice-assistant bench`: replay dialogs in both modes and report what the turns cost.

Each file is replayed streaming (every stage overlapped) and sequential (the no-overlap
baseline) with the same warm engines. The report holds p50/p95 V2V per mode, the stage
breakdown, barge-in latency (onset of the interrupting speech to silent output), the silence
added between the chunks of a reply (playback continuity: p50/p95/max and underruns), the
sequential/streaming ratio on replies of two or more sentences, peak RSS and CPU time. A
label names what the report measured (the code path and the dialogs), and V2V is also given
per dialog, so that one report can hold several voices side by side.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from assistant.config import Settings
from assistant.metrics import percentile, summarize
from assistant.conversation.replay import run_replay, summarize_turns
from assistant.evaluation.turn_taking import paused_sentences

# mode -> (the no-overlap baseline?, end-of-turn detector: None keeps the setting)
MODES = {"streaming": (False, None), "silence": (False, "silence"), "sequential": (True, None)}


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


def run_bench(settings: Settings, files: list[Path], repeat: int = 1, progress=print,
              modes: tuple[str, ...] = tuple(MODES), label: str = "",
              voices: tuple[str, ...] = ()) -> dict:
    """`voices` (TTS engine names): replay each file in each mode once per voice, in turn, with
    the same warm recognizer and LLM, so that the voices are compared in one run under the
    same load; their rows are named "MODE VOICE". None: the configured voice only."""
    from assistant.conversation.wiring import Engines

    engines = Engines.from_settings(settings, notify=progress)
    engines.start()
    runs = []
    base_seed, base_detector = settings.llm.seed, settings.turn.detector
    by_voice = {}
    try:
        by_voice = start_voices(settings, voices, progress) if voices else {"": engines.tts}
        for round_no in range(repeat):
            # each round samples other replies (the same in every mode): more rounds measure
            # more kinds of reply, not the same words again
            if base_seed >= 0:
                settings.llm.seed = base_seed + round_no
            for wav in files:
                for mode in modes:
                    sequential, detector = MODES[mode]
                    settings.turn.detector = detector or base_detector
                    for voice, tts in by_voice.items():
                        name = f"{mode} {voice}".strip()
                        result = run_replay(settings, wav, engines=replace(engines, tts=tts),
                                            sequential=sequential, render_out=False)
                        for turn in result.turns:
                            turn.update(file=wav.name, mode=name, round=round_no,
                                        paused_dialog=bool(paused_sentences(wav)))
                        runs.append((wav, name, result))
                        s = result.summary()
                        progress(f"{wav.name} {name}: {s['turns']} turns, V2V p50 "
                                 f"{s['v2v_ms']['p50']} ms p95 {s['v2v_ms']['p95']} ms")
    finally:
        settings.llm.seed, settings.turn.detector = base_seed, base_detector
        for tts in by_voice.values():
            if tts is not engines.tts:
                tts.close()
        engines.close()
    names = tuple(f"{mode} {voice}".strip() for mode in modes for voice in by_voice)
    return build_report(runs, names, label)


def start_voices(settings: Settings, voices: tuple[str, ...], progress) -> dict:
    """{engine name: its TTS, started} for `bench --voices`: each engine's default voice."""
    from assistant.config import TtsSettings
    from assistant.tts.factory import make_tts

    started = {}
    try:
        for name in voices:
            tts = make_tts(TtsSettings(engine=name, rate=settings.tts.rate,
                                       cache_entries=settings.tts.cache_entries), notify=progress)
            tts.start()
            started[name] = tts
    except BaseException:
        for tts in started.values():
            tts.close()
        raise
    return started


def build_report(runs, modes: tuple[str, ...] = tuple(MODES), label: str = "") -> dict:
    """Per mode: V2V and stages over the complete questions (the dialogs without thinking
    pauses), barge-in, and turn-taking over the sentences with a thinking pause."""
    from assistant.evaluation.turn_taking import end_of_turn_figures, score_pauses

    report = {"label": label, "modes": {}, "turns": []}
    for mode in modes:
        mine = [(wav, r) for wav, m, r in runs if m == mode]
        plain = [(wav, r) for wav, r in mine if not paused_sentences(wav)]
        turns = [t for _, r in plain for t in r.turns]
        barge = [b for _, r in plain for b in r.barge_ins]
        true_barge = [b for wav, r in plain
                      for b in barge_in_from_true_onset(r.barge_ins, true_onsets(wav))]
        summary = summarize_turns(turns, barge)
        summary["barge_in_from_true_onset_ms"] = {**summarize(true_barge), "values": true_barge}
        summary["end_of_turn"] = end_of_turn_figures(turns)
        summary["skills"] = skill_figures(turns)
        paused = [(paused_sentences(wav), r) for wav, r in mine if paused_sentences(wav)]
        if paused:
            scores = [score_pauses(r.turns, sentences) for sentences, r in paused]
            summary["thinking_pauses"] = merge_pause_scores(scores)
            summary["thinking_pauses"]["end_of_turn"] = end_of_turn_figures(
                [t for _, r in paused for t in r.turns])
        report["modes"][mode] = summary
        report["turns"] += [t for _, r in mine for t in r.turns]
    multi = {m: [t["v2v_ms"] for t in report["turns"] if t["mode"] == m
                 and not t.get("paused_dialog") and t["v2v_ms"] is not None
                 and sentence_count(t["full_reply_text"]) >= 2]
             for m in modes}
    seq = percentile(multi.get("sequential", []), 50)
    stream = percentile(multi.get("streaming", []), 50)
    report["sequential_over_streaming"] = {
        "turns_with_2plus_sentences": {m: len(v) for m, v in multi.items()},
        "p50_ratio": round(seq / stream, 2) if seq and stream else None,
    }
    report["dialogs"] = per_dialog(report["turns"], modes)
    report["first_turn"] = first_turn_figures(runs)
    last = report["modes"][modes[-1]]
    report["peak_rss_mb"] = last["peak_rss_mb"]
    report["cpu_time_s"] = last["cpu_time_s"]
    return report


def skill_figures(turns: list[dict]) -> dict:
    """The replies the local skills gave (no LLM; not the rings): from the end of the turn
    (the endpointer's or the end-of-turn model's decision) to their first sound."""
    answered = [t for t in turns if t.get("skill") not in (None, "ring")
                and t["v2v_ms"] is not None]
    after_end = [t["v2v_ms"] - (t["stages_ms"].get("endpointing") or 0.0) for t in answered]
    return {"turns": len(answered), "after_end_ms": summarize(after_end),
            "v2v_ms": summarize(t["v2v_ms"] for t in answered),
            "rings": sum(1 for t in turns if t.get("skill") == "ring")}


def first_turn_figures(runs) -> dict | None:
    """The first turn of the session (the engines fresh from start-up) against the median
    of the later turns of the same mode: a cold engine shows as a slow first turn."""
    if not runs:
        return None
    _wav, mode, first_run = runs[0]
    turns = [t for _w, m, r in runs if m == mode for t in r.turns if t["v2v_ms"] is not None]
    if len(turns) < 2 or not first_run.turns or first_run.turns[0]["v2v_ms"] is None:
        return None
    return {"mode": mode, "v2v_ms": first_run.turns[0]["v2v_ms"],
            "later_p50_ms": percentile([t["v2v_ms"] for t in turns[1:]], 50)}


def per_dialog(turns: list[dict], modes: tuple[str, ...]) -> dict:
    """{file: {mode: turns and V2V p50/p95}} over every round, in the order the files ran."""
    files = list(dict.fromkeys(t["file"] for t in turns))
    return {name: {mode: dialog_figures([t for t in turns
                                         if t["file"] == name and t["mode"] == mode])
                   for mode in modes}
            for name in files}


def dialog_figures(turns: list[dict]) -> dict:
    v2v = summarize(t["v2v_ms"] for t in turns)
    return {"turns": len(turns), "v2v_p50_ms": v2v["p50"], "v2v_p95_ms": v2v["p95"]}


def merge_pause_scores(scores: list[dict]) -> dict:
    """One set of turn-taking figures over several replays of thinking-pause dialogs."""
    sentences = sum(s["sentences"] for s in scores)
    v2v = [v for s in scores for v in s["v2v_from_true_end_ms"]["values"]]
    return {"sentences": sentences, "talk_overs": sum(s["talk_overs"] for s in scores),
            "turns_per_sentence": round(sum(s["turns_per_sentence"] * s["sentences"]
                                            for s in scores) / sentences, 2),
            "answered": sum(s["answered"] for s in scores),
            "v2v_from_true_end_ms": {**summarize(v2v), "values": v2v}}


def format_end_of_turn(e: dict) -> str:
    return (f"end of turn: {e['ended_by']}; endpointing p50/p95 {e['endpointing_ms']['p50']}/"
            f"{e['endpointing_ms']['p95']} ms; model p50/p95 {e['model_inference_ms']['p50']}/"
            f"{e['model_inference_ms']['p95']} ms")


def format_playback_gaps(g: dict | None) -> str:
    """One line on how continuous the replies played ("" when no reply had two chunks)."""
    if not g or not g.get("count"):
        return ""
    return (f"playback: {g['count']} seams between chunks, silence added p50/p95/max "
            f"{g['p50']}/{g['p95']}/{g['max']} ms; {g['underruns']} underruns "
            f"(the speaker waited for the next chunk)")


def format_dialogs(dialogs: dict) -> list[str]:
    """One row per dialog: turns and V2V p50/p95 in each mode."""
    if len(dialogs) < 2:
        return []
    width = max(len(name) for name in dialogs)
    lines = ["per dialog (turns, V2V p50/p95 ms):"]
    for name, by_mode in dialogs.items():
        cells = "  ".join(f"{mode} {d['turns']}, {d['v2v_p50_ms']}/{d['v2v_p95_ms']}"
                          for mode, d in by_mode.items())
        lines.append(f"  {name:<{width}}  {cells}")
    return lines


def format_report(report: dict) -> str:
    lines = [f"== {report['label']} =="] if report.get("label") else []
    for mode, s in report["modes"].items():
        v = s["v2v_ms"]
        if s["turns"]:
            lines.append(f"{mode:>10}: {s['turns']} turns  V2V p50 {v['p50']} ms  p95 {v['p95']} "
                         f"ms  max {v['max']} ms")
            stages = "  ".join(f"{name} {st['p50']}/{st['p95']}" for name, st in
                               s["stages_ms"].items())
            lines.append(f"{'':>12}stages p50/p95 ms: {stages}")
            words = s.get("first_words_ms", {})
            if words.get("count"):
                lines.append(f"{'':>12}first partial words after speech onset p50 "
                             f"{words['p50']} p95 {words['p95']} ms ({words['count']} turns)")
            b, tb = s["barge_in_ms"], s["barge_in_from_true_onset_ms"]
            d = s["barge_in_detect_to_silent_ms"]
            if b["count"]:
                lines.append(f"{'':>12}barge-in: {b['count']}  from detected onset p50 {b['p50']} "
                             f"p95 {b['p95']} ms; from true onset p50 {tb['p50']} p95 {tb['p95']}"
                             f" ms; detection to silent p50 {d['p50']} p95 {d['p95']} ms")
            lines.append(f"{'':>12}{format_end_of_turn(s['end_of_turn'])}")
            gaps = format_playback_gaps(s.get("playback_gaps_ms"))
            if gaps:
                lines.append(f"{'':>12}{gaps}")
            k = s.get("skills") or {}
            if k.get("turns"):
                a, kv = k["after_end_ms"], k["v2v_ms"]
                lines.append(f"{'':>12}local skills: {k['turns']} replies (no LLM), from the end "
                             f"of the turn to the first sound p50 {a['p50']} p95 {a['p95']} ms "
                             f"(V2V p50 {kv['p50']} p95 {kv['p95']} ms); {k['rings']} rings")
        else:
            lines.append(f"{mode:>10}:")
        if "thinking_pauses" in s:
            t = s["thinking_pauses"]
            v = t["v2v_from_true_end_ms"]
            lines.append(f"{'':>12}thinking pauses: {t['talk_overs']} talk-overs in "
                         f"{t['sentences']} sentences, {t['turns_per_sentence']} turns per "
                         f"sentence, V2V from the true end p50 {v['p50']} p95 {v['p95']} ms "
                         f"({t['answered']} answered)")
            lines.append(f"{'':>12}  {format_end_of_turn(t['end_of_turn'])}")
    lines += format_dialogs(report.get("dialogs", {}))
    first = report.get("first_turn")
    if first:
        lines.append(f"first turn of the session ({first['mode']}): V2V {first['v2v_ms']} ms; "
                     f"later turns p50 {first['later_p50_ms']} ms")
    ratio = report["sequential_over_streaming"]
    if "sequential" in report["modes"]:
        lines.append(f"sequential/streaming V2V p50 ratio (replies of 2+ sentences): "
                     f"{ratio['p50_ratio']}  (turns: {ratio['turns_with_2plus_sentences']})")
    lines.append(f"peak RSS {report['peak_rss_mb']} MB, CPU time {report['cpu_time_s']} s")
    return "\n".join(lines)
