"""A live session: the engines, the microphone and speaker, and the conversation, kept running
while settings change. The desktop app and `voice-assistant listen` both drive one.

Everything slow (loading models, reopening devices) happens on the caller's worker thread or
on a background thread of its own; the session reports progress as core events through
`on_event`, never by raising into a UI. Expected failures become a `Notice` and the session
keeps working with what it has: no microphone still leaves the typed questions, no speaker
still shows the replies.
"""

from __future__ import annotations

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
                 conversation_log=None, require_devices: bool = False, timers_file=None):
        self.settings = settings
        self.on_event = on_event or (lambda event: None)
        self.clock = clock
        self._make_source = make_source or self._default_source
        self._make_speaker = make_speaker or self._default_speaker
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
        self._loop_settings: Settings | None = None  # asked for, not yet applied
        self._lock = threading.RLock()
        self._reloading = threading.Event()
        self._stopping = threading.Event()
        self._next_settings: Settings | None = None  # asked for while a reload was running
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
        try:
            engines = Engines.from_settings(self.settings, notify=self._notice_info)
            engines.start()
        except UserError as exc:
            self._fail(str(exc))
            return False
        if self._stopping.is_set():  # the window closed while the models were loading
            engines.close()
            return False
        with self._lock:
            self.engines = engines
            self.history = engines.llm.new_history()
            self.skills = self._make_skills()
            try:
                self._start_conversation()
            except UserError as exc:  # a device (with require_devices), an unusable input file
                engines.close()
                self.engines = None
                self._fail(str(exc))
                return False
            self._serve_api()
        return True

    def _serve_api(self) -> None:
        """The local API, as the setting says, for the settings now in use."""
        if self.api is not None:
            self.api.stop()
            self.api = None
        if self.settings.api.enabled and not self._stopping.is_set():
            from assistant.server.service import ApiService

            self.api = ApiService(self.settings, history=lambda llm: self.history,
                                  notify=self._notice)
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

    def _start_conversation(self) -> None:
        """A new conversation with the engines (no other runs: nothing races the settings)."""
        loop, self._loop_settings = self._loop_settings, None
        if loop is not None:
            for section in LOOP_SECTIONS:
                for key, value in vars(getattr(loop, section)).items():
                    setattr(getattr(self.settings, section), key, value)
        source, speaker = self._open_devices(self.settings)
        self.source = source
        subscribers = [self.on_event, trim_memory_after_turns]
        if self.conversation_log is not None:
            subscribers.append(LogWriter(self.conversation_log, self._notice))
        self.lane = build_conversation(self.settings, engines=self.engines, source=source,
                                       speaker=speaker, clock=self.clock, history=self.history,
                                       subscribers=tuple(subscribers), skills=self.skills)
        self.lane.start()

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
        return self._reloading.is_set()

    # --- settings ---------------------------------------------------------------------------

    def apply_settings(self, new: Settings, background: bool = True) -> None:
        """Apply new settings without a restart: VAD and conversation settings at once; a new
        model in the background (the old one keeps answering until the new one is ready);
        new audio devices by reopening them."""
        old = self.settings
        reload_engines = _changed(old, new, ENGINE_KEYS) or old.llm != new.llm
        reopen_devices = _changed(old, new, DEVICE_KEYS)
        api_changed = old.api != new.api
        if api_changed:
            old.api = new.api
            if self.engines is not None and not reload_engines:
                threading.Thread(target=self._serve_api, name="api-restart",
                                 daemon=True).start()
        # the sections the running loop reads are applied on the conversation thread (and
        # given to the next conversation, if one is built before that)
        self._loop_settings = new.copy()
        if self.conversation is not None:
            self.conversation.apply_settings(self._loop_settings)
        if reload_engines:
            with self._lock:
                if self._reloading.is_set():  # one reload at a time: the newest wins next
                    self._next_settings = new
                    return
                self._reloading.set()
            if background:
                threading.Thread(target=self._reload_all, args=(new,), name="model-reload",
                                 daemon=True).start()
            else:
                self._reload_all(new)
            return
        old.audio = new.audio
        if reopen_devices and self.engines is not None:
            with self._lock:
                self._stop_conversation()
                self._start_conversation()

    def _reload_all(self, new: Settings) -> None:
        """Reload for `new`, then for whatever settings arrived meanwhile."""
        while new is not None:
            try:
                self._reload(new)
            finally:
                with self._lock:
                    new, self._next_settings = self._next_settings, None
                    if new is None:
                        self._reloading.clear()

    def _reload(self, new: Settings) -> None:
        self._status("loading", "loading the new models")
        try:
            engines = Engines.from_settings(new, notify=self._notice_info)
            engines.start()
        except UserError as exc:
            self._notice(f"{exc} Keeping the previous models.", "error")
            self._status("listening")
            return
        except Exception as exc:  # a model that crashes its loader must not take the app down
            log.exception("loading the new models failed")
            self._notice(f"The new models could not be loaded ({exc}); keeping the previous ones.",
                         "error")
            self._status("listening")
            return
        if self._stopping.is_set():
            engines.close()
            return
        with self._lock:
            old_engines = self.engines
            self._stop_conversation()
            self.settings.audio = new.audio
            for section in ("stt", "llm", "tts"):
                setattr(self.settings, section, getattr(new, section))
            self.settings.turn.detector, self.settings.turn.model = new.turn.detector, new.turn.model
            self.engines = engines
            self._start_conversation()
            self._serve_api()  # its engine sets are for the new models
        if old_engines is not None:
            old_engines.close()
        self._notice("The new models are loaded.", "info")

    # --- events ----------------------------------------------------------------------------

    def _status(self, state: str, detail: str = "") -> None:
        self.on_event(StatusChanged(t_ns=self.clock.now_ns(), state=state, detail=detail))

    def _notice(self, message: str, level: str = "info") -> None:
        self.on_event(Notice(t_ns=self.clock.now_ns(), message=message, level=level))

    def _notice_info(self, message: str) -> None:
        self._notice(message, "info")
