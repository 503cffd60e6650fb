"""`voice-assistant bench --api`: one short espeak-ng dialog (two questions with pauses) run
for real in-process, over the WebSocket and over REST on a `voice-assistant serve` child
process (the command's default), and the report holds all three with a V2V for every turn
(about 55 s: the dialog plays in real time once per path, and the child loads its models)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import silence, trim

pytestmark = pytest.mark.slow  # real engines, the dialog played in real time


@pytest.fixture
def dialog(speech, wav):
    return wav(silence(0.5), trim(speech("what is the capital of france")), silence(5.0),
               trim(speech("name a big animal")), silence(5.5), name="two-questions.wav")


def test_the_api_bench_reports_every_path_for_every_turn(api_pool, dialog, real_models):
    from assistant.evaluation.api_bench import format_api_report, run_api_bench

    settings = api_pool.settings
    assert settings.llm.temperature == 0.0
    # the in-process path borrows the session's warm engines; the server is a child process
    report = run_api_bench(settings, [dialog], pool=api_pool, label="test", progress=print)
    text = format_api_report(report)
    print(text)
    rows = report["rows"]
    assert len(rows) == 2, rows
    for row in rows:
        for path in ("in_process", "websocket", "rest"):
            turn = row[path]
            assert turn is not None, (path, row)
            assert turn["v2v_ms"] is not None and 0 < turn["v2v_ms"] < 10_000, (path, turn)
        ws = row["websocket"]
        # the client's view and the server's agree to within the way there and back
        assert abs(ws["v2v_ms"] - ws["server_v2v_ms"]) < 150, ws
        assert abs(ws["skew_ms"]) < 100, ws
        rest = row["rest"]
        assert rest["user_text"] and rest["reply_text"]
        assert rest["endpointing_ms"] >= 400  # vad.end_silence_ms: its own endpointer decided
    paths = report["paths"]
    for path in ("in_process", "websocket", "rest"):
        assert paths[path]["turns"] == 2 and paths[path]["v2v_ms"]["p50"] > 0
    # batch requests one after another cannot start speaking as soon as a stream does
    assert paths["rest"]["v2v_ms"]["p50"] > paths["websocket"]["v2v_ms"]["p50"]
    assert report["rest_over_ws"]["p50_ratio_all"] > 1
    assert report["ws_minus_in_process"]["p50_ms"] is not None
    assert report["websocket"]["close_codes"] == [1000]
    assert report["server"]["hosting"] == "process"
    for name in ("in-process", "WebSocket", "REST (batch)", "greedy", "REST / WebSocket"):
        assert name in text
    json.dumps(report, default=str)  # --json writes it whole


def test_api_takes_neither_plot_nor_modes(dialog, tmp_path):
    for extra in (["--plot", str(tmp_path / "p.png")], ["--modes", "streaming"],
                  ["--api-in-process", "--api-url", "http://127.0.0.1:1"]):
        done = subprocess.run([sys.executable, "-m", "assistant.cli", "bench", str(dialog),
                               "--api", *extra], capture_output=True, text=True, timeout=60)
        assert done.returncode != 0
        assert "do not go" in done.stderr or "does not go" in done.stderr, done.stderr
