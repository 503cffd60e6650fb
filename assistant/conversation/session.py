"""A live session: the engines, the microphone and speaker, and the conversation, kept running
while settings change. The desktop app and `voice-assistant listen` both drive one.

Nothing slow runs on the caller's thread: `start()` is called on a worker thread, and
`apply_settings()` returns at once, leaving new models, new devices and the local API to the
session's settings thread (one change at a time, then the newest asked for meanwhile).
Progress comes as core events through `on_event`, never by raising into a UI. Expected
failures become a `Notice` and the session keeps working with what it has: no microphone
still leaves the typed questions, no speaker still shows the replies.

Who holds which `Settings`: the session keeps its own (`settings`, replaced whole, never
written in place). The engines get a copy; their endpointer reads its vad section, so each
conversation on them is built with that object, which only the conversation thread writes
(one conversation is stopped before the next is built). New loop settings go to
`Conversation.apply_settings` as a fresh copy that nobody writes afterwards.
"""

from __future__ import annotations

import copy
import logging
import threading
from typing import Callable

from assistant.clock import DEFAULT_CLOCK, Clock
from assistant.config import Settings
from assistant.errors import AudioDeviceError, UserError
from assistant.conversation.observers import LogWriter, trim_memory_after_turns
from assistant.conversation.wiring import Engines, build_conversation
from assistant.events import Event, Notice, StatusChanged

log = logging.getLogger(__name__)

# settings whose change needs the models reloaded, or the audio devices reopened
ENGINE_KEYS = {"stt": ("engine", "language", "vosk_model", "whisper_model"),
               "llm": ("model", "context_size", "threads", "gpu_layers"),
               "tts": ("engine", "voice", "rate", "cache_entries"),
               "turn": ("detector", "model")}
DEVICE_KEYS = {"audio": ("input_device", "output_device", "frame_ms", "output_block_ms")}
LOOP_SECTIONS = ("vad", "conversation", "turn")  # read live by the running loop


def _changed(old: Settings, new: Settings, keys: dict) -> bool:
    return any(getattr(getattr(old, section), key) != getattr(getattr(new, section), key)
               for section, names in keys.items() for key in names)


def _loop_changed(old: Settings, new: Settings) -> bool:
    return any(getattr(old, section) != getattr(new, section) for section in LOOP_SECTIONS)


def _keeping_models(old: Settings, new: Settings) -> Settings:
    """`new`, but with the model settings of `old` (the new models could not be loaded)."""
    kept = new.copy()
    for section in ("stt", "llm", "tts"):
        setattr(kept, section, copy.deepcopy(getattr(old, section)))
    kept.turn.detector, kept.turn.model = old.turn.detector, old.turn.model
    return kept


class NullSource:
    """No microphone: never yields a frame, never finishes (typed questions still work)."""

    finished = False
    level_dbfs = -120.0
    t0_ns = None
    frame_ms = 20

    def __init__(self):
        self._closed = threading.Event()

    def start(self):
        pass

    def read(self, timeout=None):
        self._closed.wait(timeout)
        return None

    def close(self):
        self._closed.set()


class Session:
    def __init__(self, settings: Settings, *, on_event: Callable[[Event], None] | None = None,
                 clock: Clock = DEFAULT_CLOCK, make_source=None, make_speaker=None,
                 make_engines=None, conversation_log=None, require_devices: bool = False,
                 timers_file=None):
        self.settings = settings.copy()  # in use; replaced whole, never written in place
        self.on_event = on_event or (lambda event: None)
        self.clock = clock
        self._make_source = make_source or self._default_source
        self._make_speaker = make_speaker or self._default_speaker
        self._make_engines = make_engines or (  # settings -> Engines, not started yet
            lambda s: Engines.from_settings(s, notify=self._notice_info))
        self.conversation_log = conversation_log
        # headless use has no text box to fall back on: a missing device is an error there
        self.require_devices = require_devices
        self.engines: Engines | None = None
        self.lane = None
        self.source = None
        self.history = None
        self.timers_file = timers_file  # where timers are kept over a restart (None: not kept)
        self.skills = None  # the local skills and their timers: one set for the session
        self.error: str | None = None  # why start() failed
        # held while engines, conversation, devices or API are swapped (seconds, for a device
        # slow to open); apply_settings only takes the other, held to swap two fields
        self._lock = threading.RLock()
        self._wanted_lock = threading.Lock()
        self._wanted: Settings | None = None  # asked for, not yet taken by the settings thread
        self._applier: threading.Thread | None = None  # the settings thread, while it runs
        self._stopping = threading.Event()
        self.api = None  # the local API (assistant/server/service.py), when api.enabled

    # --- devices -------------------------------------------------------------------------

    def _default_source(self, settings: Settings):
        """The microphone, reopened by itself after it fails or vanishes mid-session."""
        from assistant.audio.recovery import RecoveringSource
        from assistant.audio.sources import MicSource

        device = settings.audio.input_device or None
        return RecoveringSource(
            lambda: MicSource(device, frame_ms=settings.audio.frame_ms, clock=self.clock),
            on_notice=self._notice, frame_ms=settings.audio.frame_ms, wait_for_device=False)

    def _default_speaker(self, settings: Settings):
        """The speaker, likewise; during an outage replies are consumed silently."""
        from assistant.audio.recovery import RecoveringSpeaker

        return RecoveringSpeaker(settings.audio.output_device or None, clock=self.clock,
                                 block_ms=settings.audio.output_block_ms,
                                 on_notice=self._notice, wait_for_device=False)

    def _open_devices(self, settings: Settings):
        """The microphone and speaker, or stand-ins (with a notice) where there is none."""
        from assistant.audio.speaker import RecordingSpeaker

        source = self._make_source(settings)
        try:
            source.start()
        except AudioDeviceError as exc:
            if self.require_devices:
                raise
            self._notice(f"{exc} Typed questions still work.", "warning")
            source = NullSource()
        speaker = self._make_speaker(settings)
        try:
            speaker.start()
        except AudioDeviceError as exc:
            if self.require_devices:
                source.close()
                raise
            self._notice(f"{exc} Replies are shown but not spoken.", "warning")
            speaker = RecordingSpeaker(clock=self.clock, realtime=True, keep=False)
        return source, speaker

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> bool:
        """Load the models and start listening. Blocking (seconds): call it off the UI thread.
        Returns False (after a notice; `error` says why) when it could not start."""
        self._status("loading", "loading models")
        settings = self.settings
        try:
            engines = self._make_engines(settings.copy())
            engines.start()
        except UserError as exc:
            self._fail(str(exc))
            return False
        with self._lock:
            if self._stopping.is_set():  # the window closed while the models were loading
                engines.close()
                return False
            self.engines = engines
            self.history = engines.llm.new_history()
            self.skills = self._make_skills()
            try:
                self._start_conversation(settings)
            except UserError as exc:  # a device (with require_devices), an unusable input file
                engines.close()
                self.engines = None
                self._fail(str(exc))
                return False
            self._serve_api(settings)
        return True

    def _serve_api(self, settings: Settings) -> None:
        """The local API, as `settings` say (called with the lock held)."""
        if self.api is not None:
            self.api.stop()
            self.api = None
        if settings.api.enabled and not self._stopping.is_set():
            from assistant.server.service import ApiService

            self.api = ApiService(settings, history=lambda llm: self.history,
                                  notify=self._notice, skills=lambda: self.skills)
            if not self.api.start():
                self.api = None

    def _make_skills(self):
        from assistant.skills.skills import Skills
        from assistant.skills.timers import TimerBoard, TimerStore

        store = TimerStore(self.timers_file) if self.timers_file is not None else None
        return Skills(TimerBoard(self.clock, store=store))

    def _fail(self, message: str) -> None:
        self.error = message
        self._notice(message, "error")
        self._status("error", message)

    def _start_conversation(self, settings: Settings) -> None:
        """A conversation on the engines with the devices and loop settings of `settings`."""
        source, speaker = self._open_devices(settings)
        self.source = source
        subscribers = [self.on_event, trim_memory_after_turns]
        if self.conversation_log is not None:
            subscribers.append(LogWriter(self.conversation_log, self._notice))
        # the engines' settings (their endpointer reads its vad section): the conversation
        # before, stopped by now, may have left older loop settings in them
        loop = self.engines.settings
        stale = _loop_changed(loop, settings)
        self.lane = build_conversation(loop, engines=self.engines, source=source,
                                       speaker=speaker, clock=self.clock, history=self.history,
                                       subscribers=tuple(subscribers), skills=self.skills)
        self.lane.start()
        if stale:  # applied on the conversation thread, before any frame
            self.lane.conversation.apply_settings(settings.copy())

    def _stop_conversation(self) -> None:
        if self.lane is not None:
            self.lane.stop()
            self.lane = None

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            if self.api is not None:
                self.api.stop()
                self.api = None
            self._stop_conversation()
            if self.engines is not None:
                self.engines.close()
                self.engines = None

    # --- what the person does: handed to the conversation thread, never applied here --------

    @property
    def conversation(self):
        lane = self.lane
        return lane.conversation if lane is not None else None

    def submit_text(self, text: str) -> None:
        """A typed question; its turn's events follow."""
        if self.conversation is not None:
            self.conversation.submit_text(text)

    def press(self) -> None:
        if self.conversation is not None:
            self.conversation.press()

    def release(self) -> None:
        if self.conversation is not None:
            self.conversation.release()

    def interrupt(self) -> None:
        if self.conversation is not None:
            self.conversation.stop_reply()

    def cancel_timer(self, timer_id: int) -> None:
        if self.conversation is not None:
            self.conversation.cancel_timer(timer_id)

    def clear_conversation(self) -> None:
        if self.conversation is not None:
            self.conversation.clear_history()
        elif self.history is not None:
            self.history.clear()

    @property
    def input_level_dbfs(self) -> float:
        source = self.source
        return source.level_dbfs if source is not None else -120.0

    @property
    def loading(self) -> bool:
        """A settings change is being applied (new models loading, devices reopening)."""
        return self._applier is not None

    # --- settings ---------------------------------------------------------------------------

    def apply_settings(self, new: Settings) -> None:
        """Apply new settings without a restart. Returns at once, from any thread (the GUI's):
        the running loop's sections go to the conversation thread now; new models (the old
        ones answer until they are ready), devices and the local API are the settings
        thread's work; changes asked for meanwhile are merged, the last one wins."""
        new = new.copy()  # the session's own: the caller may go on changing theirs
        with self._wanted_lock:
            self._wanted = new
            conversation = self.conversation
            if self._applier is None:
                self._applier = threading.Thread(target=self._apply_wanted, name="settings",
                                                 daemon=True)
                self._applier.start()
        if conversation is not None:
            # at once, even while models load (and again to a conversation built meanwhile)
            conversation.apply_settings(new.copy())

    def wait_applied(self, timeout_s: float | None = None) -> bool:
        """Wait until the settings asked for are applied (tests, headless use)."""
        applier = self._applier
        if applier is not None:
            applier.join(timeout_s)
        return applier is None or not applier.is_alive()

    def _apply_wanted(self) -> None:
        """The settings thread: the newest settings asked for, then any that came meanwhile."""
        while True:
            with self._wanted_lock:
                new, self._wanted = self._wanted, None
                if new is None or self._stopping.is_set():
                    self._applier = None
                    return
            try:
                self._apply(new)
            except Exception as exc:  # the thread must go on to the next change
                log.exception("applying the new settings failed")
                self._notice(f"The new settings could not be applied ({exc}).", "error")

    def _apply(self, new: Settings) -> None:
        """On the settings thread: make the session run with `new`."""
        old = self.settings
        engines = None
        if _changed(old, new, ENGINE_KEYS) or old.llm != new.llm:
            engines = self._load_engines(new)
            if engines is None:  # said why; the previous models keep answering
                new = _keeping_models(old, new)
        with self._lock:
            if self._stopping.is_set():
                if engines is not None:
                    engines.close()
                return
            old_engines = self.engines
            if engines is not None or (old_engines is not None and _changed(old, new, DEVICE_KEYS)):
                if engines is None:
                    self._status("restarting", "restarting audio")
                self._restart_conversation(new, engines or old_engines)
            elif self.conversation is not None and _loop_changed(old, new):
                # apply_settings gave them too, perhaps to the conversation before this one
                self.conversation.apply_settings(new.copy())
            if self.engines is not None and (engines is not None or old.api != new.api):
                self._serve_api(new)  # as the setting says, on the engine sets of the models
            self.settings = new
        if engines is not None:
            if old_engines is not None:
                old_engines.close()
            self._notice("The new models are loaded.", "info")

    def _restart_conversation(self, new: Settings, engines: Engines) -> None:
        """A new conversation on `engines`; a device that cannot be opened is an error."""
        self._stop_conversation()
        self.engines = engines
        if self.history is None:  # start() failed before it had models: it has them now
            self.history = engines.llm.new_history()
            self.skills = self._make_skills()
        try:
            self._start_conversation(new)
        except UserError as exc:  # a device, with require_devices
            self._notice(str(exc), "error")
            self._status("error", str(exc))

    def _load_engines(self, new: Settings) -> Engines | None:
        """The engines for `new`, started; None (after a notice) when they cannot be."""
        self._status("loading", "loading the new models")
        try:
            engines = self._make_engines(new.copy())
            engines.start()
            return engines
        except UserError as exc:
            self._notice(f"{exc} Keeping the previous models.", "error")
        except Exception as exc:  # a model that crashes its loader must not take the app down
            log.exception("loading the new models failed")
            self._notice(f"The new models could not be loaded ({exc}); keeping the previous ones.",
                         "error")
        if self.lane is not None:  # back to what it was doing before
            self._status("listening")
        else:
            self._status("error", self.error or "The conversation could not start.")
        return None

    # --- events ----------------------------------------------------------------------------

    def _status(self, state: str, detail: str = "") -> None:
        self.on_event(StatusChanged(t_ns=self.clock.now_ns(), state=state, detail=detail))

    def _notice(self, message: str, level: str = "info") -> None:
        self.on_event(Notice(t_ns=self.clock.now_ns(), message=message, level=level))

    def _notice_info(self, message: str) -> None:
        self._notice(message, "info")
