"""The latency panel shows a finished turn's figures, the rolling percentiles and colours."""

from __future__ import annotations

from assistant.metrics import STAGE_HELP, STAGE_NAMES
from ui import theme
from ui.widgets.latency import LatencyPanel

STAGES = {"endpointing": 300.0, "stt_final": 45.4, "llm_first_token": 120.0,
          "first_chunk": 80.0, "tts_first_audio": 95.0, "playback_start": 21.0}


def test_a_finished_turn_shows_its_figures(qtbot):
    panel = LatencyPanel()
    qtbot.addWidget(panel)
    panel.add_turn({"v2v_ms": 661.4, "stages_ms": STAGES})
    assert panel.v2v_label.text() == "661 ms"
    texts = {name: label.text() for name, label in panel.stage_labels.items()}
    assert texts == {"endpointing": "300 ms", "stt_final": "45 ms", "llm_first_token": "120 ms",
                     "first_chunk": "80 ms", "tts_first_audio": "95 ms",
                     "playback_start": "21 ms"}
    assert panel.p50_label.text() == "p50 661 ms"
    assert panel.p95_label.text() == "p95 661 ms"
    assert theme.OK.name() in panel.v2v_label.styleSheet()  # amber: under a second
    assert [n for n, _ in panel.bar.segments()] == list(STAGE_NAMES)


def test_stage_tooltips_say_what_the_stage_is(qtbot):
    panel = LatencyPanel()
    qtbot.addWidget(panel)
    panel.add_turn({"v2v_ms": 661.4, "stages_ms": STAGES})
    for name in STAGE_NAMES:
        tip = panel.stage_labels[name].toolTip()
        assert STAGE_HELP[name] in tip and theme.STAGE_LABELS[name] in tip


def test_rolling_percentiles_history_and_threshold_colours(qtbot):
    panel = LatencyPanel()
    qtbot.addWidget(panel)
    for v2v in [300.0, 400.0, 450.0, 480.0, 1500.0]:
        panel.add_turn({"v2v_ms": v2v, "stages_ms": STAGES})
    assert panel.p50_label.text() == "p50 450 ms"
    assert panel.p95_label.text() == "p95 1296 ms"
    assert theme.GOOD.name() in panel.p50_label.styleSheet()
    assert theme.BAD.name() in panel.p95_label.styleSheet()
    assert list(panel.history.values) == [300.0, 400.0, 450.0, 480.0, 1500.0]
    assert panel.count_label.text() == "5 turns"


def test_a_turn_that_never_played_shows_dashes(qtbot):
    panel = LatencyPanel()
    qtbot.addWidget(panel)
    panel.add_turn({"v2v_ms": None, "stages_ms": {name: None for name in STAGE_NAMES}})
    assert panel.v2v_label.text() == "–"
    assert panel.stage_labels["stt_final"].text() == "–"
    assert panel.bar.segments() == []
    panel.grab()  # paints without errors


def test_history_keeps_the_last_50_turns(qtbot):
    panel = LatencyPanel()
    qtbot.addWidget(panel)
    for i in range(60):
        panel.add_turn({"v2v_ms": float(i), "stages_ms": STAGES})
    assert len(panel.history.values) == 50 and panel.history.values[0] == 10.0
    panel.grab()


def test_hovering_a_segment_or_a_bar_shows_its_figure(qtbot):
    from PySide6.QtCore import QEvent, QPoint
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QApplication, QToolTip

    panel = LatencyPanel()
    qtbot.addWidget(panel)
    panel.resize(320, 500)
    panel.show()
    panel.add_turn({"v2v_ms": 661.4, "stages_ms": STAGES})
    name, rect = panel.bar.segments()[0]
    point = rect.center().toPoint()
    QApplication.sendEvent(panel.bar, QHelpEvent(QEvent.Type.ToolTip, point,
                                                 panel.bar.mapToGlobal(point)))
    assert "End of turn" in QToolTip.text() and STAGE_HELP["endpointing"] in QToolTip.text()
    chart = panel.history
    point = QPoint(chart.width() - 2, chart.height() // 2)
    QApplication.sendEvent(chart, QHelpEvent(QEvent.Type.ToolTip, point, chart.mapToGlobal(point)))
    assert QToolTip.text() == "661 ms (last turn)"


def test_the_end_of_turn_says_what_decided_it(qtbot):
    panel = LatencyPanel()
    qtbot.addWidget(panel)
    panel.add_turn({"v2v_ms": 260.0, "stages_ms": STAGES,
                    "end_of_turn": {"by": "model", "probability": 0.932, "checks": 1}})
    assert panel.end_label.text() == "End of turn: model says complete, p = 0.93"
    panel.add_turn({"v2v_ms": 1600.0, "stages_ms": STAGES,
                    "end_of_turn": {"by": "silence", "probability": 0.2, "checks": 2}})
    assert panel.end_label.text() == "End of turn: silence timeout (the model said not yet, 2×)"
    panel.add_turn({"v2v_ms": 300.0, "stages_ms": STAGES, "end_of_turn": {"by": "ptt"}})
    assert panel.end_label.text() == "End of turn: you let go of the key"
