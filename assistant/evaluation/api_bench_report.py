"""The report of `bench --api`: V2V p50/p95 of the three paths, the WebSocket's difference
from the in-process replay, REST over WebSocket, per dialog and per turn; and its table."""

from __future__ import annotations

from assistant.config import Settings
from assistant.evaluation.api_bench_server import HOSTING
from assistant.evaluation.bench import sentence_count
from assistant.metrics import percentile, summarize

PATHS = ("in_process", "websocket", "rest")
PATH_NAMES = {"in_process": "in-process", "websocket": "WebSocket", "rest": "REST (batch)"}


def path_figures(turns: list[dict]) -> dict:
    multi = [t["v2v_ms"] for t in turns
             if t.get("v2v_ms") is not None and sentence_count(t.get("reply_text") or "") >= 2]
    return {"turns": len(turns), "answered": sum(1 for t in turns if t.get("v2v_ms") is not None),
            "v2v_ms": summarize(t.get("v2v_ms") for t in turns),
            "v2v_2plus_sentences_ms": summarize(multi)}


def _diff(a, b):
    return None if a is None or b is None else round(a - b, 1)


def _ratio(a, b):
    return round(a / b, 2) if a and b else None


def build_api_report(runs: list, *, label: str = "", settings: Settings | None = None,
                     hosting: str | None = None, url: str | None = None) -> dict:
    """`runs`: api_bench's DialogRun of each dialog (its utterances, each path's turns, the
    in-process ReplayResult). One row per utterance with each path's turn on it."""
    from assistant.evaluation.bench import build_report

    rows = []
    unmatched = {p: [] for p in PATHS}  # turns no utterance explains (split, merged): kept
    for run in runs:
        by_path = {p: {} for p in PATHS}
        for p in PATHS:
            for t in run.paths.get(p, []):
                if t["utterance"] is None or t["utterance"] in by_path[p]:
                    unmatched[p].append(dict(t, file=run.wav.name))
                else:
                    by_path[p][t["utterance"]] = t
        for index, utterance in enumerate(run.utterances):
            row = {"file": run.wav.name, "round": run.round, "utterance": index,
                   "onset_ms": round(utterance.onset_ms, 1), "end_ms": round(utterance.end_ms, 1)}
            row.update({p: by_path[p].get(index) for p in PATHS})
            rows.append(row)
    turns = {p: [dict(t, file=run.wav.name) for run in runs for t in run.paths.get(p, [])]
             for p in PATHS}
    figures = {p: path_figures(turns[p]) for p in PATHS}
    # REST without the utterances begun while it still fetched or played an earlier reply
    # (their wait for it is the missing barge-in, not the batch requests' own latency)
    figures["rest_not_talked_over"] = path_figures(
        [t for t in turns["rest"] if not t.get("talked_over")])
    ws, local, rest = figures["websocket"], figures["in_process"], figures["rest"]
    paired = [r["websocket"]["v2v_ms"] - r["in_process"]["v2v_ms"] for r in rows
              if r["websocket"] and r["in_process"] and r["websocket"]["v2v_ms"] is not None
              and r["in_process"]["v2v_ms"] is not None]
    ws_minus = {"p50_ms": _diff(ws["v2v_ms"]["p50"], local["v2v_ms"]["p50"]),
                "p95_ms": _diff(ws["v2v_ms"]["p95"], local["v2v_ms"]["p95"]),
                "per_turn_median_ms": _round(percentile(paired, 50)),
                "per_turn_ms": [round(d, 1) for d in paired]}
    free = figures["rest_not_talked_over"]
    rest_over_ws = {
        "p50_ratio_all": _ratio(rest["v2v_ms"]["p50"], ws["v2v_ms"]["p50"]),
        "p50_ratio_2plus_sentences": _ratio(rest["v2v_2plus_sentences_ms"]["p50"],
                                            ws["v2v_2plus_sentences_ms"]["p50"]),
        "p50_ratio_not_talked_over": _ratio(free["v2v_ms"]["p50"], ws["v2v_ms"]["p50"]),
        "p50_ratio_2plus_sentences_not_talked_over": _ratio(
            free["v2v_2plus_sentences_ms"]["p50"], ws["v2v_2plus_sentences_ms"]["p50"]),
        # the same utterances on both paths: both replies of 2+ sentences, REST not talked over
        "paired_2plus_sentences": _pair_ratio(rows, lambda ws, rest: min(
            sentence_count(ws.get("reply_text") or ""),
            sentence_count(rest.get("reply_text") or "")) >= 2 and not rest.get("talked_over")),
    }
    per_dialog = {}
    for name in dict.fromkeys(run.wav.name for run in runs):
        d = {p: path_figures([t for t in turns[p] if t["file"] == name]) for p in PATHS}
        per_dialog[name] = {
            **{p: {"turns": d[p]["turns"], "v2v_p50_ms": d[p]["v2v_ms"]["p50"],
                   "v2v_p95_ms": d[p]["v2v_ms"]["p95"]} for p in PATHS},
            "ws_minus_in_process_p50_ms": _diff(d["websocket"]["v2v_ms"]["p50"],
                                                d["in_process"]["v2v_ms"]["p50"]),
            "ws_minus_in_process_p95_ms": _diff(d["websocket"]["v2v_ms"]["p95"],
                                                d["in_process"]["v2v_ms"]["p95"]),
        }
    ws_turns = turns["websocket"]
    websocket_detail = {
        "server_v2v_ms": summarize(t.get("server_v2v_ms") for t in ws_turns),
        "v2v_server_end_ms": summarize(t.get("v2v_server_end_ms") for t in ws_turns),
        "skew_ms": summarize(t.get("skew_ms") for t in ws_turns),
        "audio_transport_ms": summarize(t.get("audio_transport_ms") for t in ws_turns),
        "close_codes": [run.ws_close_code for run in runs],
    }
    rest_turns = turns["rest"]
    rest_detail = {name: summarize(t.get(name) for t in rest_turns)
                   for name in ("endpointing_ms", "queued_ms", "transcribe_ms", "reply_ms",
                                "speak_ms")}
    rest_detail["talked_over"] = sum(1 for t in rest_turns if t.get("talked_over"))
    p50_ok = ws_minus["p50_ms"] is not None and abs(ws_minus["p50_ms"]) <= 50
    p95_ok = ws_minus["p95_ms"] is not None and abs(ws_minus["p95_ms"]) <= 50
    ratio = rest_over_ws["p50_ratio_2plus_sentences_not_talked_over"]
    report = {
        "label": label,
        "llm": None if settings is None else {
            "temperature": settings.llm.temperature, "seed": settings.llm.seed,
            "model": settings.llm.model},
        "server": {"hosting": hosting, "what": HOSTING.get(hosting), "url": url},
        "paths": figures,
        "ws_minus_in_process": ws_minus,
        "rest_over_ws": rest_over_ws,
        "targets": {
            "ws_within_50ms_of_in_process_p50": p50_ok,
            "ws_within_50ms_of_in_process_p95": p95_ok,
            # on the REST turns not talked over (see figures["rest_not_talked_over"])
            "rest_at_least_3x_ws_p50_2plus_sentences": None if ratio is None else ratio >= 3,
        },
        "websocket": websocket_detail,
        "rest": rest_detail,
        "dialogs": per_dialog,
        "rows": rows,
        "unmatched": unmatched,
    }
    replays = [(run.wav, "streaming", run.replay) for run in runs if run.replay is not None]
    if replays:
        in_process = build_report(replays, ("streaming",), label)
        report["in_process_bench"] = {k: v for k, v in in_process.items() if k != "turns"}
    return report


def _pair_ratio(rows: list[dict], keep) -> dict:
    """REST p50 over WebSocket p50 on the utterances both answered and `keep(ws, rest)`."""
    pairs = [(r["rest"]["v2v_ms"], r["websocket"]["v2v_ms"]) for r in rows
             if r["rest"] and r["websocket"] and r["rest"].get("v2v_ms") is not None
             and r["websocket"].get("v2v_ms") is not None and keep(r["websocket"], r["rest"])]
    return {"turns": len(pairs),
            "rest_p50_ms": _round(percentile([a for a, _ in pairs], 50)),
            "ws_p50_ms": _round(percentile([b for _, b in pairs], 50)),
            "p50_ratio": _ratio(percentile([a for a, _ in pairs], 50),
                                percentile([b for _, b in pairs], 50))}


def _round(value):
    return None if value is None else round(value, 1)


def _cell(value, width: int = 7) -> str:
    return f"{'-' if value is None else value:>{width}}"


def format_api_report(report: dict) -> str:
    lines = [f"== {report['label']} =="] if report.get("label") else []
    llm, server = report.get("llm") or {}, report.get("server") or {}
    greedy = "greedy" if llm.get("temperature") == 0 else f"temperature {llm.get('temperature')}"
    lines.append(f"LLM {llm.get('model')}, {greedy}, seed {llm.get('seed')}, on every path; "
                 f"the API server: {server.get('what')}")
    lines.append(f"{'path':<17} {'turns':>5} {'V2V p50':>8} {'p95':>7} {'max':>7}   "
                 f"{'2+ sentences: turns':>19} {'p50':>7} {'p95':>7}")
    names = dict(PATH_NAMES, rest_not_talked_over="  not talked over")
    for p in (*PATHS, "rest_not_talked_over"):
        f = report["paths"][p]
        v, m = f["v2v_ms"], f["v2v_2plus_sentences_ms"]
        lines.append(f"{names[p]:<17} {f['turns']:>5} {_cell(v['p50'], 8)} {_cell(v['p95'])} "
                     f"{_cell(v['max'])}   {m['count']:>19} {_cell(m['p50'])} {_cell(m['p95'])}")
    d = report["ws_minus_in_process"]
    t = report["targets"]
    lines.append(f"WebSocket - in-process V2V: p50 {d['p50_ms']} ms, p95 {d['p95_ms']} ms, "
                 f"per turn median {d['per_turn_median_ms']} ms "
                 f"(target within 50 ms: p50 {_yes(t['ws_within_50ms_of_in_process_p50'])}, "
                 f"p95 {_yes(t['ws_within_50ms_of_in_process_p95'])})")
    r = report["rest_over_ws"]
    lines.append(f"REST / WebSocket V2V p50: all turns {r['p50_ratio_all']}x, replies of 2+ "
                 f"sentences {r['p50_ratio_2plus_sentences']}x; REST turns not talked over: "
                 f"all {r['p50_ratio_not_talked_over']}x, replies of 2+ sentences "
                 f"{r['p50_ratio_2plus_sentences_not_talked_over']}x (target >= 3x: "
                 f"{_yes(t['rest_at_least_3x_ws_p50_2plus_sentences'])})")
    pm = r["paired_2plus_sentences"]
    lines.append(f"  on the same utterances (both replies 2+ sentences, REST not talked over): "
                 f"{pm['p50_ratio']}x ({pm['turns']} turns, p50 {pm['rest_p50_ms']} / "
                 f"{pm['ws_p50_ms']} ms)")
    w = report["websocket"]
    lines.append(f"WebSocket p50/p95 ms: the server's own v2v {w['server_v2v_ms']['p50']}/"
                 f"{w['server_v2v_ms']['p95']}; from the server's speech end "
                 f"{w['v2v_server_end_ms']['p50']}/{w['v2v_server_end_ms']['p95']}; its "
                 f"timeline behind the audio sent {w['skew_ms']['p50']}/{w['skew_ms']['p95']}; "
                 f"reply audio to the client {w['audio_transport_ms']['p50']}/"
                 f"{w['audio_transport_ms']['p95']}")
    s = report["rest"]
    stages = "  ".join(f"{name[:-3]} {s[name]['p50']}/{s[name]['p95']}"
                       for name in ("endpointing_ms", "queued_ms", "transcribe_ms", "reply_ms",
                                    "speak_ms"))
    lines.append(f"REST stages p50/p95 ms: {stages}; talked over (no barge-in): "
                 f"{s['talked_over']}")
    lines.append("  (REST: the client's endpointer ends an utterance on silence alone; "
                 "/v1/transcribe makes word times, so Whisper decodes its full window; "
                 "/v1/reply answers the local skills first, then the LLM)")
    lines.append("per turn V2V ms (end of speech s; sentences in the reply per path):")
    for row in report["rows"]:
        cells = []
        for p in PATHS:
            turn = row[p]
            if turn is None:
                cells.append(f"{PATH_NAMES[p].split()[0]} -")
            else:
                cells.append(f"{PATH_NAMES[p].split()[0]} {_cell(turn.get('v2v_ms'))} "
                             f"({sentence_count(turn.get('reply_text') or '')})")
        text = next((row[p]["user_text"] for p in PATHS if row[p]), "")
        lines.append(f"  {row['file']} #{row['utterance'] + 1} {row['end_ms'] / 1000:6.2f}  "
                     f"{'  '.join(cells)}  {text[:40]!r}")
    if len(report["dialogs"]) > 1:
        lines.append("per dialog V2V p50/p95 ms (WebSocket - in-process p50):")
        width = max(len(name) for name in report["dialogs"])
        for name, d in report["dialogs"].items():
            cells = "  ".join(f"{PATH_NAMES[p].split()[0]} {d[p]['v2v_p50_ms']}/"
                              f"{d[p]['v2v_p95_ms']}" for p in PATHS)
            lines.append(f"  {name:<{width}}  {cells}  ({d['ws_minus_in_process_p50_ms']})")
    extra = {p: len(v) for p, v in report["unmatched"].items() if v}
    if extra:
        lines.append(f"turns matching no utterance of the endpointer (split or merged): {extra}")
    return "\n".join(lines)


def _yes(value) -> str:
    return "n/a" if value is None else ("met" if value else "NOT met")
