"""The desktop app: `voice-assistant` with no command (called from `assistant.cli`).

`--replay IN.wav` runs the real app, real models and real session, but hears the file instead
of the microphone (in real time) and plays into a recording speaker; `--screenshot OUT.png`
saves the window just before quitting; `--quit-after SECONDS` quits by itself. Together they
make the README screenshot and let CI check that the whole app comes up and answers.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from assistant.config import Settings
from assistant.errors import UserError
from ui.inbox import GuiInbox

log = logging.getLogger(__name__)


class ErrorReporter(QObject):
    """Unexpected exceptions from any thread end up in the log and in the window's banner,
    not in a crash: the GUI keeps running and the person can carry on or restart.

    The hook runs on whichever thread raised, so it makes no Qt call: its message goes
    through a `ui.inbox.GuiInbox` into `reported`, on the GUI thread."""

    reported = Signal(str)

    def __init__(self, poll_ms: int = 100):
        super().__init__()
        self._previous = sys.excepthook, threading.excepthook
        self._inbox = GuiInbox(self._report, poll_ms, parent=self)
        self._inbox.timer.start()

    def _report(self, messages: list) -> None:
        for message in messages:
            if message is None:  # Ctrl+C
                QApplication.quit()
                return
            self.reported.emit(message)

    def install(self) -> None:
        sys.excepthook = self._hook
        threading.excepthook = lambda args: self._hook(args.exc_type, args.exc_value,
                                                       args.exc_traceback)

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    def _hook(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            self._inbox.post(None)  # quit, on the GUI thread
            return
        if isinstance(exc, UserError):  # expected: one sentence, no traceback
            message = str(exc)
        else:
            log.error("unexpected error", exc_info=(exc_type, exc, tb))
            message = (f"Something went wrong: {exc_type.__name__}: {exc}. The app keeps "
                       "running; the details are in the log.")
        self._inbox.post(message)


def route_qt_messages() -> None:
    """Qt's own warnings (the offscreen platform's "propagateSizeHints", a font it could not
    find) go to the log, shown with --verbose, not onto the person's terminal; critical
    ones stay errors."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("qt")
    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.INFO, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}
    qInstallMessageHandler(lambda kind, context, message: qt_log.log(
        levels.get(kind, logging.INFO), "%s", message))


def make_session_factory(args, settings: Settings):
    """How the controller builds its Session: live devices, or the replayed file."""
    from assistant.conversation.session import Session

    replay = getattr(args, "replay", None)
    kwargs = {}
    if replay is not None:
        from assistant.audio.sources import WavSource
        from assistant.audio.speaker import RecordingSpeaker

        kwargs["make_source"] = lambda s: WavSource(replay, frame_ms=s.audio.frame_ms,
                                                    realtime=True)
        kwargs["make_speaker"] = lambda s: RecordingSpeaker(block_ms=s.audio.output_block_ms,
                                                            realtime=True, keep=False)
    else:  # live: timers are kept over a restart; a replay's end with it
        from assistant.paths import timers_file

        kwargs["timers_file"] = timers_file()
    if replay is None and settings.conversation.log_conversations:
        from assistant.conversation.log import ConversationLog
        from assistant.paths import conversation_log_file

        kwargs["conversation_log"] = ConversationLog(conversation_log_file())
    return lambda s, on_event: Session(s, on_event=on_event, **kwargs)


def save_screenshot(window, path: Path) -> bool:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    QApplication.processEvents()  # let the last batch of events paint
    ok = window.grab().save(str(path))
    if not ok:
        print(f"error: could not write the screenshot {path}", file=sys.stderr)
    return ok


def run_app(args, settings: Settings) -> int:
    from assistant.modelstore.manager import ModelManager
    from ui import first_run, llm_offer
    from ui.controller import SessionController
    from ui.gc_guard import GuiThreadCollector
    from ui.main_window import MainWindow
    from ui.theme import apply_theme
    from ui.workers import wait_all

    replay = getattr(args, "replay", None)
    failure: list[str] = []  # what kept the conversation from starting, said once

    def fail(message: str) -> None:
        if not failure:
            print(f"error: {message}", file=sys.stderr)
        failure.append(message)

    if replay is not None:
        from assistant.audio.audio_file import audio_file_info

        try:
            audio_file_info(replay)
        except UserError as exc:
            fail(str(exc))
    if replay is not None and getattr(args, "mode", None) is None:
        settings.conversation.mode = "open-mic"  # nobody holds a key during a replay

    route_qt_messages()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Voice Assistant")
    app.setDesktopFileName("voice-assistant")
    apply_theme(app)
    collector = GuiThreadCollector()
    reporter = ErrorReporter()
    reporter.install()

    controller = SessionController(settings, make_session_factory(args, settings),
                                   getattr(args, "config", None))
    manager = ModelManager()
    window = MainWindow(controller, manager, remember_place=replay is None)
    reporter.reported.connect(lambda message: window.show_notice(message, "error"))
    controller.started.connect(
        lambda ok: None if ok else fail(controller.session.error or "The conversation could not start."))
    window.show()
    if failure:  # nothing to converse with: the window says why and stays up
        window.show_startup_failure(failure[0])
    else:
        first_run.offer(window, settings, manager)
        if replay is None:  # a replay is timed itself, and a screenshot shows no offer
            llm_offer.offer_when_started(window, manager)
        controller.start()

    screenshot = getattr(args, "screenshot", None)
    result = {"code": 0}

    def finish() -> None:
        if screenshot is not None and not save_screenshot(window, screenshot):
            result["code"] = 1
        window.close()
        app.quit()

    quit_after = getattr(args, "quit_after", None)
    if quit_after is not None:
        QTimer.singleShot(int(max(0.0, quit_after) * 1000), finish)
    elif screenshot is not None:
        app.aboutToQuit.connect(lambda: save_screenshot(window, screenshot))

    # Ctrl+C in the terminal: Python only sees the signal when it runs, so wake it now and then
    signal.signal(signal.SIGINT, lambda *_: finish())
    ticker = QTimer()
    ticker.start(250)
    ticker.timeout.connect(lambda: None)

    code = app.exec()
    ticker.stop()
    controller.shutdown()
    wait_all(10.0)
    reporter.uninstall()
    collector.stop()
    return 2 if failure else (result["code"] or code)
