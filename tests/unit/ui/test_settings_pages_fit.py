"""No text is cut off in the settings dialog: every page is rendered, at the size the dialog
opens at and on a short screen, and every label is as tall as its text needs at its width
(a wrapped hint's heightForWidth) and, if it does not wrap, as wide as its text."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QLabel

from assistant.config import Settings
from assistant.modelstore.manager import ModelManager
from ui.settings_dialog import SettingsDialog


@pytest.fixture
def manager(tmp_path):
    return ModelManager(models_dir=tmp_path / "models")


def cut_labels(dialog) -> list[str]:
    cut = []
    for index in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        page = dialog.tabs.widget(index)
        for label in page.findChildren(QLabel):
            if not label.isVisible() or not label.text():
                continue
            where = f"{dialog.tabs.tabText(index)}: {label.text()[:50]!r}"
            if label.wordWrap():
                need = label.heightForWidth(label.width())
                if label.height() < need:
                    cut.append(f"{where} is {label.height()} px tall, needs {need}")
            else:
                hint = label.sizeHint()
                if label.height() < hint.height() or label.width() < hint.width():
                    cut.append(f"{where} is {label.width()}x{label.height()}, needs "
                               f"{hint.width()}x{hint.height()}")
    return cut


@pytest.mark.parametrize("size", [None, (640, 420)])
def test_no_label_is_cut_on_any_page(qtbot, manager, size):
    dialog = SettingsDialog(Settings(), model_manager=manager)
    qtbot.addWidget(dialog)
    dialog.show()
    if size is not None:
        dialog.resize(*size)
    qtbot.wait(50)
    assert not cut_labels(dialog)


def test_the_dialog_opens_inside_the_screen(qtbot, manager):
    dialog = SettingsDialog(Settings(), model_manager=manager)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.wait(20)
    assert dialog.screen().availableGeometry().contains(dialog.geometry())



def test_the_places_the_window_names_exist(qtbot, manager):
    """Every "Settings > Tab > Field" that ui/wording.py puts in a message is a tab of the
    dialog with a field of that name."""
    from ui import wording

    dialog = SettingsDialog(Settings(), model_manager=manager)
    qtbot.addWidget(dialog)
    tabs = {dialog.tabs.tabText(i): dialog.tabs.widget(i) for i in range(dialog.tabs.count())}
    places = {getattr(wording, name) for name in dir(wording)
              if isinstance(getattr(wording, name), str)
              and getattr(wording, name).startswith("Settings > ")}
    assert len(places) >= 7
    for place in places:
        _settings, tab, *field = place.split(" > ")
        assert tab in tabs, place
        labels = {label.text() for label in tabs[tab].findChildren(QLabel)}
        assert not field or field[0] in labels, place
