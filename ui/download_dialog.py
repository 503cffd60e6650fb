"""Download a model from the catalog, with a progress bar and a Cancel button.

`ModelManager.download` runs on a worker thread; Cancel sets the `threading.Event` it checks
between blocks, which is thread-safe and takes effect mid-download (a queued slot would only
run after the download). The core guarantees a cancelled or failed download installs nothing.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog, QHBoxLayout, QHeaderView, QLabel, QProgressBar, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout,
)

from assistant.modelstore.manager import DownloadCancelled, human_size
from ui.wording import for_window
from ui.workers import Throttle, run_in_thread

KIND_TITLES = {"stt-vosk": "Vosk speech models", "stt-whisper": "Whisper speech models",
               "llm-gguf": "Language models (GGUF)", "tts-piper": "Piper voices"}


class DownloadDialog(QDialog):
    installed = Signal(object)  # the InstalledModel, on the GUI thread

    def __init__(self, manager, kind: str | None = None, model_id: str | None = None,
                 parent=None):
        super().__init__(parent)
        self.manager = manager
        self.kind = kind
        self.setWindowTitle(f"Download {KIND_TITLES.get(kind, 'models').lower()}")
        self.resize(640, 400)
        self._cancel: threading.Event | None = None
        self._job = None
        self.downloading_id: str | None = None

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Model", "Size", "State"])
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._selected)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setObjectName("hint")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(self.start_download)
        self.cancel_button = QPushButton("Cancel download")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_download)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.download_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.description)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.refresh(select=model_id)

    # --- the list ---------------------------------------------------------------------------

    def entries(self):
        try:
            catalog = self.manager.catalog()
        except Exception as exc:
            self._say(f"The model catalog cannot be read: {exc}", error=True)
            return []
        return [e for e in catalog if self.kind is None or e.kind == self.kind]

    def state_of(self, model_id: str) -> str:
        model = self.manager.get_installed(model_id)
        if model is not None and model.path.exists():
            return "installed"
        return "partly downloaded" if self.manager.partial_download(model_id) else "available"

    def refresh(self, select: str | None = None) -> None:
        current = select or self.selected_id()
        entries = self.entries()
        self.table.setRowCount(len(entries))
        for row, entry in enumerate(entries):
            name = QTableWidgetItem(entry.id)
            name.setData(Qt.ItemDataRole.UserRole, entry.id)
            name.setToolTip(entry.description)
            size = "~" if entry.approximate_size else ""
            self.table.setItem(row, 0, name)
            self.table.setItem(row, 1, QTableWidgetItem(size + human_size(entry.size)))
            self.table.setItem(row, 2, QTableWidgetItem(self.state_of(entry.id)))
            if entry.id == current:
                self.table.selectRow(row)
        if self.table.currentRow() < 0 and entries:
            self.table.selectRow(0)

    def selected_id(self) -> str | None:
        items = self.table.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def _selected(self) -> None:
        entry = self.manager.catalog_entry(self.selected_id() or "")
        if entry is not None:
            check = ("" if entry.sha256 else " No checksum is published for it: the download "
                     "is only checked for its size.")
            self.description.setText(f"{entry.description} Licence: {entry.license}.{check}")
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self._job is not None
        model_id = self.selected_id()
        self.download_button.setEnabled(not busy and model_id is not None
                                        and self.state_of(model_id) != "installed")
        self.cancel_button.setEnabled(busy)

    # --- downloading ------------------------------------------------------------------------

    def start_download(self) -> None:
        model_id = self.selected_id()
        if self._job is not None or model_id is None:
            return
        self.downloading_id = model_id
        self._cancel = cancel = threading.Event()
        manager = self.manager
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self._say(f"Downloading {model_id}…")

        def work(report):
            throttle = Throttle(report)
            model = manager.download(model_id, cancel=cancel,
                                     progress=lambda done, total: throttle((done, total)))
            return model

        self._job = run_in_thread(work, name=f"download-{model_id}", on_done=self._done,
                                  on_error=self._failed, on_progress=self._progress)
        self._update_buttons()

    def cancel_download(self) -> None:
        if self._cancel is not None:
            self._cancel.set()
            self._say("Cancelling…")

    def _progress(self, value) -> None:
        done, total = value
        if total:
            self.progress.setRange(0, 100)
            self.progress.setValue(min(99, int(done * 100 / total)))  # 100 once verified
            self.progress.setFormat(f"%p%  ({human_size(done)} of {human_size(total)})")
        else:
            self.progress.setRange(0, 0)  # size unknown: a busy bar

    def _done(self, model) -> None:
        self._job = None
        self.progress.setRange(0, 100)
        self.progress.setValue(100)
        self.progress.setFormat("%p%")
        self._say(f"{model.id} is installed ({model.verification}).")
        self.refresh(select=model.id)
        self._update_buttons()
        self.installed.emit(model)

    def _failed(self, exc: BaseException) -> None:
        self._job = None
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        if isinstance(exc, DownloadCancelled):
            self._say("Download cancelled; nothing was installed.")
        else:
            self._say(str(exc) or type(exc).__name__, error=True)
        self.refresh()
        self._update_buttons()

    @property
    def busy(self) -> bool:
        return self._job is not None

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setText(for_window(text))
        self.status.setObjectName("fieldError" if error else "")
        self.status.setStyleSheet("color:#c0392b;" if error else "")

    def reject(self) -> None:
        # closing the window also stops the download; the worker ends on its own shortly
        self.cancel_download()
        super().reject()
