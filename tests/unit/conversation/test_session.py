"""The live session applying new settings: `apply_settings` returns at once whatever the change
needs, changes in a row end in the last one's state, and a `Settings` object handed to the
running conversation is never written afterwards by the session. The real Session and
wiring, on scripted engines and fake microphones that are slow to open."""

from __future__ import annotations

import copy
import threading

import pytest

from assistant.config import Settings
from assistant.conversation.conversation import Conversation
from assistant.errors import ModelError
from assistant.events import Notice, StatusChanged
from device_fakes import wait_for
from unit.ui.fakes import device_session_factory, slow_mics

OPEN_S = 0.1  # how long each fake microphone takes to open


class Events:
    """The session's `on_event`: what it said, from whichever thread."""

    def __init__(self):
        self.items: list = []
        self.lock = threading.Lock()

    def __call__(self, event) -> None:
        with self.lock:
            self.items.append(event)

    def notices(self, level: str) -> list[str]:
        with self.lock:
            return [e.message for e in self.items if isinstance(e, Notice) and e.level == level]

    def states(self) -> list[str]:
        with self.lock:
            return [e.state for e in self.items if isinstance(e, StatusChanged)]


@pytest.fixture
def mics():
    mics = slow_mics(OPEN_S)
    yield mics
    mics.close()


@pytest.fixture
def session(mics):
    settings = Settings()
    settings.audio.input_device = "Desk Mic"
    events = Events()
    session = device_session_factory(mics)(settings, events)
    session.events = events
    assert session.start()
    yield session
    session.stop()


@pytest.fixture
def handed(monkeypatch):
    """Every Settings given to a conversation's apply_settings, with a copy of it as given."""
    given: list[tuple[Settings, Settings]] = []
    apply = Conversation.apply_settings

    def spy(self, settings):
        given.append((settings, copy.deepcopy(settings)))
        apply(self, settings)

    monkeypatch.setattr(Conversation, "apply_settings", spy)
    return given


def with_mic(settings: Settings, name: str) -> Settings:
    new = settings.copy()
    new.audio.input_device = name
    return new


def test_a_device_change_returns_at_once_and_reopens_on_the_settings_thread(session, mics):
    new = with_mic(session.settings, "USB Headset Mic")
    mics.hold_opening()
    session.apply_settings(new)  # returns while the device is still opening
    assert mics.opening.wait(5) and mics.opened == ["Desk Mic"]
    assert session.loading
    mics.let_open()
    assert session.wait_applied(5)
    assert not session.loading
    assert mics.opened == ["Desk Mic", "USB Headset Mic"]
    assert session.source.device_name == "USB Headset Mic"
    assert session.settings.audio.input_device == "USB Headset Mic"
    # said at once; the new conversation's "listening" comes through its observers thread
    assert wait_for(lambda: session.events.states()[-2:] == ["restarting", "listening"])


def test_changes_in_a_row_end_in_the_last_ones_state(session, mics):
    first = with_mic(session.settings, "USB Headset Mic")
    second = with_mic(first, "Desk Mic")
    second.conversation.mode = "ptt"
    third = with_mic(second, "USB Headset Mic")
    third.vad.end_silence_ms = 900
    mics.hold_opening()
    session.apply_settings(first)
    assert mics.opening.wait(5)  # the first is still opening when the others come
    session.apply_settings(second)
    session.apply_settings(third)
    mics.let_open()
    assert session.wait_applied(5)
    # the first was applied; the second was overtaken by the third before it was begun
    assert mics.opened == ["Desk Mic", "USB Headset Mic"]
    assert session.source.device_name == "USB Headset Mic"
    assert session.settings == third
    assert session.settings is not third  # the session's own copy


def test_the_settings_a_conversation_holds_are_never_written_by_the_session(session, handed):
    held = session.conversation.settings
    assert held is not session.settings
    session_settings = session.settings
    for n, name in enumerate(["USB Headset Mic", "Desk Mic", "USB Headset Mic"]):
        new = with_mic(session.settings, name)
        new.vad.end_silence_ms = 500 + 100 * n
        new.conversation.mode = "ptt" if n % 2 else "open-mic"
        session.apply_settings(new)
        new.vad.end_silence_ms = 3000  # the caller's object stays the caller's
        assert session.wait_applied(5)
    assert session.settings.vad.end_silence_ms == 700
    assert session_settings.audio.input_device == "Desk Mic"  # replaced, not written
    assert handed, "the loop settings were handed to the conversation"
    for given, as_given in handed:
        assert given == as_given  # nobody wrote it after handing it over
        assert given is not session.settings
    # the loop settings reached the running conversation (applied on its thread)
    assert wait_for(lambda: session.conversation.settings.vad.end_silence_ms == 700)
    assert session.conversation.settings.conversation.mode == "open-mic"


def test_new_models_load_on_the_settings_thread_and_replace_the_old(session, mics):
    old_engines = session.engines
    new = session.settings.copy()
    new.llm.system_prompt = "Answer in one word."
    session.apply_settings(new)
    assert session.wait_applied(5)
    assert session.engines is not old_engines
    assert session.engines.settings.llm.system_prompt == "Answer in one word."
    assert session.engines.settings is not session.settings
    assert "The new models are loaded." in session.events.notices("info")


def test_models_that_cannot_load_are_said_and_the_rest_still_applies(session, mics):
    old_engines = session.engines

    def fail(settings):
        raise ModelError("No such model: tiny-llm.")

    session._make_engines = fail
    new = with_mic(session.settings, "USB Headset Mic")
    new.llm.model = "tiny-llm"
    session.apply_settings(new)
    assert session.wait_applied(5)
    assert session.engines is old_engines
    assert session.settings.llm.model != "tiny-llm"  # the models in use
    assert session.source.device_name == "USB Headset Mic"
    assert any("No such model" in m for m in session.events.notices("error"))


def test_stop_during_a_device_change_leaves_nothing_running(mics):
    settings = Settings()
    session = device_session_factory(mics)(settings, None)
    assert session.start()
    session.apply_settings(with_mic(settings, "USB Headset Mic"))
    session.stop()
    assert session.wait_applied(5)
    assert session.lane is None and session.engines is None
