"""The latency panel: what the last turn cost, stage by stage, and how turns have gone lately.

Stage names, their order and their meaning come from `assistant.metrics` (the same
definitions the benchmark uses); a turn's figures are the `metrics` dict of `TurnCompleted`.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import (
    QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QToolTip, QVBoxLayout, QWidget,
)

from assistant.metrics import STAGE_HELP, STAGE_NAMES, RollingStats
from ui import theme
from ui.widgets.history_chart import HistoryChart


def end_of_turn_text(metrics: dict) -> str:
    """How the last turn ended, in words: what decided that the user was done."""
    info = metrics.get("end_of_turn") or {}
    by, probability = info.get("by"), info.get("probability")
    if by == "model":
        return f"End of turn: model says complete, p = {probability:.2f}"
    if by == "silence":
        asked = info.get("checks") or 0
        detail = f" (the model said not yet, {asked}×)" if asked else ""
        return f"End of turn: silence timeout{detail}"
    return {"ptt": "End of turn: you let go of the key",
            "text": "End of turn: a typed question",
            "eof": "End of turn: the input ended"}.get(by, "")


def stage_tooltip(name: str, value: float | None) -> str:
    return f"<b>{theme.STAGE_LABELS[name]}</b>: {theme.format_ms(value)}<br>{STAGE_HELP[name]}"


class StageBar(QWidget):
    """One horizontal bar split into the stages of a turn, in proportion to their length."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.stages: dict[str, float | None] = {}
        self.setMinimumHeight(22)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)

    def sizeHint(self) -> QSize:
        return QSize(280, 22)

    def set_stages(self, stages: dict) -> None:
        self.stages = dict(stages or {})
        self.update()

    def segments(self) -> list[tuple[str, QRectF]]:
        values = [(n, self.stages.get(n) or 0.0) for n in STAGE_NAMES]
        total = sum(v for _, v in values)
        if total <= 0:
            return []
        rect = QRectF(self.rect()).adjusted(0, 2, 0, -2)
        x, out = rect.x(), []
        for name, value in values:
            width = rect.width() * value / total
            if width > 0:
                out.append((name, QRectF(x, rect.y(), width, rect.height())))
            x += width
        return out

    def event(self, event) -> bool:
        if event.type() == event.Type.ToolTip:
            for name, rect in self.segments():
                if rect.contains(event.pos()):
                    tip = stage_tooltip(name, self.stages.get(name))
                    QToolTip.showText(event.globalPos(), tip, self)
                    return True
            QToolTip.hideText()
            return True
        return super().event(event)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        full = QRectF(self.rect()).adjusted(0, 2, 0, -2)
        p.setBrush(QColor("#e3e8ef"))
        p.drawRoundedRect(full, 5, 5)
        for name, rect in self.segments():
            p.setBrush(theme.STAGE_COLOURS[name])
            p.drawRect(rect.adjusted(0, 0, -1, 0))  # a hairline gap between neighbours
        p.end()


class LatencyPanel(QWidget):
    def __init__(self, parent=None, window: int = 50):
        super().__init__(parent)
        self.stats = RollingStats(window=window)
        title = QLabel("LATENCY")
        title.setObjectName("cardTitle")
        self.v2v_label = QLabel("–")
        font = QFont(self.v2v_label.font())
        font.setPointSizeF(font.pointSizeF() * 2.1)
        font.setWeight(QFont.Weight.Bold)
        self.v2v_label.setFont(font)
        self.v2v_label.setToolTip("Voice-to-voice: from the end of your speech to the first "
                                  "sound of the reply, last turn")
        caption = QLabel("voice-to-voice, last turn")
        caption.setObjectName("hint")
        self.p50_label = QLabel("p50 –")
        self.p95_label = QLabel("p95 –")
        self.count_label = QLabel("")
        self.count_label.setObjectName("hint")
        for label in (self.p50_label, self.p95_label):
            label.setToolTip("Median and 95th percentile of voice-to-voice over the last "
                             f"{window} turns")
        stats_row = QHBoxLayout()
        stats_row.setSpacing(14)
        stats_row.addWidget(self.p50_label)
        stats_row.addWidget(self.p95_label)
        stats_row.addStretch(1)
        stats_row.addWidget(self.count_label)

        self.bar = StageBar()
        legend = QGridLayout()
        legend.setHorizontalSpacing(8)
        legend.setVerticalSpacing(3)
        self.stage_labels: dict[str, QLabel] = {}
        self._stage_rows: dict[str, tuple[QWidget, ...]] = {}
        for row, name in enumerate(STAGE_NAMES):
            swatch = QLabel()
            swatch.setFixedSize(10, 10)
            swatch.setStyleSheet(f"background:{theme.STAGE_COLOURS[name].name()};"
                                 "border-radius:2px;")
            label = QLabel(theme.STAGE_LABELS[name])
            value = QLabel("–")
            value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value.setObjectName(f"stage_{name}")
            for widget in (swatch, label, value):
                widget.setToolTip(stage_tooltip(name, None))
            legend.addWidget(swatch, row, 0)
            legend.addWidget(label, row, 1)
            legend.addWidget(value, row, 2)
            self.stage_labels[name] = value
            self._stage_rows[name] = (swatch, label, value)
        legend.setColumnStretch(1, 1)
        self.end_label = QLabel("")
        self.end_label.setObjectName("hint")
        self.end_label.setWordWrap(True)

        self.history = HistoryChart(capacity=window)
        history_title = QLabel(f"Last {window} turns")
        history_title.setObjectName("hint")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 12, 14, 12)
        layout.setSpacing(6)
        layout.addWidget(title)
        layout.addWidget(self.v2v_label)
        layout.addWidget(caption)
        layout.addLayout(stats_row)
        layout.addSpacing(6)
        layout.addWidget(self.bar)
        layout.addLayout(legend)
        layout.addWidget(self.end_label)
        layout.addSpacing(8)
        layout.addWidget(history_title)
        layout.addWidget(self.history)
        layout.addLayout(self._threshold_legend())
        layout.addStretch(1)

    @staticmethod
    def _threshold_legend() -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(12)
        for colour, text in ((theme.GOOD, "under 0.5 s"), (theme.OK, "under 1 s"),
                             (theme.BAD, "slower")):
            label = QLabel(f"<span style='color:{colour.name()};'>●</span> {text}")
            label.setObjectName("hint")
            row.addWidget(label)
        row.addStretch(1)
        return row

    def add_turn(self, metrics: dict) -> None:
        v2v = metrics.get("v2v_ms")
        stages = metrics.get("stages_ms") or {}
        self._set_value(self.v2v_label, v2v)
        self.bar.set_stages(stages)
        for name, label in self.stage_labels.items():
            value = stages.get(name)
            label.setText(theme.format_ms(value))
            for widget in self._stage_rows[name]:
                widget.setToolTip(stage_tooltip(name, value))
        self.end_label.setText(end_of_turn_text(metrics))
        self.stats.add(v2v)
        self.history.add(v2v)
        self._set_value(self.p50_label, self.stats.p50, "p50 ")
        self._set_value(self.p95_label, self.stats.p95, "p95 ")
        n = len(self.stats.values())
        self.count_label.setText(f"{n} turn{'s' if n != 1 else ''}")

    def clear(self) -> None:
        self.stats.clear()
        self.history.clear()

    @staticmethod
    def _set_value(label: QLabel, value: float | None, prefix: str = "") -> None:
        label.setText(prefix + theme.format_ms(value))
        colour = theme.latency_colour(value).name()
        label.setStyleSheet(f"color:{colour};")
