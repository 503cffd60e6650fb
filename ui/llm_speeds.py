"""Under the settings dialog's LLM picker: how fast each catalog LLM answers on this machine.

Each row is a catalog LLM with its time to the first word and its tokens a second, and says
whether the figure was measured here or estimated from a measured model by parameter count
(assistant/llm/speed_estimate.py). Opening the dialog only reads the cached figures; "Measure
on this computer" times the default and every installed LLM with the real engine, on a worker
thread (a few seconds for each model), and keeps the figures.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from assistant.llm.speed_estimate import CONVERSATIONAL_TTFT_MS
from ui.wording import for_window
from ui.workers import run_in_thread

log = logging.getLogger(__name__)

COLUMNS = ["Model", "First word after", "Writes", "Figures"]


def describe(speed) -> tuple[str, str, str]:
    """The (first word, rate, how) cells of one ExpectedSpeed."""
    if not speed.known:
        return "-", "-", "not measured yet"
    how = "measured here" if speed.measured else "estimated"
    return f"~{speed.ttft_ms:.0f} ms", f"~{speed.tokens_per_s:.0f} tokens/s", how


def explain(speed) -> str:
    """The tooltip of one row: where its figures come from."""
    if speed.measured:
        return f"Timed on this computer with {speed.model_id} itself."
    if speed.known:
        return (f"Scaled from {speed.basis}, timed on this computer, by parameter count: "
                "an estimate.")
    return "No model has been timed on this computer yet."


class LlmSpeeds(QWidget):
    def __init__(self, manager, settings, cache=None, parent=None):
        super().__init__(parent)
        self.manager, self.settings, self.cache = manager, settings, cache
        self.table_data = None  # the last SpeedTable shown
        self._job = None
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.measure_button = QPushButton("Measure on this computer")
        self.measure_button.clicked.connect(self.measure)
        self.status = QLabel()
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.measure_button)
        buttons.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        """Show the cached figures (no timing)."""
        from assistant.llm.speed_table import speed_table

        try:
            self.show_table(speed_table(self.manager, self.settings, self.cache))
        except Exception as exc:  # an unreadable catalog: the dialog itself still works
            log.warning("could not list the LLMs' speeds", exc_info=True)
            self._say(f"The speeds cannot be shown: {exc}", error=True)

    def show_table(self, table) -> None:
        self.table_data = table
        self.table.setRowCount(len(table.speeds))
        for row, speed in enumerate(table.speeds):
            name = speed.model_id + ("  (installed)" if speed.model_id in table.installed else "")
            cells = [name, *describe(speed)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(explain(speed))
                if column == 1 and speed.known and speed.ttft_ms >= CONVERSATIONAL_TTFT_MS:
                    item.setToolTip(f"Over {CONVERSATIONAL_TTFT_MS:.0f} ms: replies start "
                                    "after a noticeable wait.")
                item.setData(Qt.ItemDataRole.UserRole, speed.model_id)
                self.table.setItem(row, column, item)
        self.table.setFixedHeight(self.table.horizontalHeader().height()
                                  + sum(self.table.rowHeight(r) for r in range(len(table.speeds)))
                                  + 2 * self.table.frameWidth())
        self._say(self._summary(table), error=bool(table.problems))

    def _summary(self, table) -> str:
        if table.problems:
            return table.problems[0]
        if not any(s.known for s in table.speeds):
            return "Not measured on this computer yet."
        unmeasured = [s.model_id for s in table.speeds
                      if s.model_id in table.installed and not s.measured]
        if unmeasured:
            return f"{', '.join(unmeasured)} is installed but only estimated: measure it."
        return (f"Estimates are scaled from a model measured here by parameter count; under "
                f"{CONVERSATIONAL_TTFT_MS:.0f} ms to the first word feels like a conversation.")

    def measure(self) -> None:
        """Time every installed LLM again, on a worker thread."""
        from assistant.llm.speed_table import speed_table

        if self._job is not None:
            return
        manager, settings, cache = self.manager, self.settings, self.cache
        self.measure_button.setEnabled(False)
        self._say("Timing the installed models…")

        def work(report):
            return speed_table(manager, settings, cache, measure="installed", again=True,
                               progress=report)

        self._job = run_in_thread(work, name="llm-speed", on_done=self._measured,
                                  on_error=self._failed,
                                  on_progress=lambda model_id: self._say(f"Timing {model_id}…"))

    def _measured(self, table) -> None:
        self._job = None
        self.measure_button.setEnabled(True)
        self.show_table(table)

    def _failed(self, exc: BaseException) -> None:
        self._job = None
        self.measure_button.setEnabled(True)
        self._say(f"Timing failed: {exc}", error=True)

    @property
    def busy(self) -> bool:
        return self._job is not None

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(for_window(text))
        self.status.setStyleSheet("color:#c0392b;" if error else "")
