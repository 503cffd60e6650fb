"""A scripted stand-in for `assistant.conversation.session.Session`: the same methods, and the same events
in the same order and from its own threads, as a real session produces for a turn. Used where
a test is about the window, not the engines (those tests drive a real Session)."""

from __future__ import annotations

import threading
import time

from assistant.config import Settings
from assistant.events import (
    ChunkPlaybackStarted, FinalTranscript, LlmFinished, LlmToken, Notice, PartialTranscript,
    PlaybackFinished, PlaybackStarted, SpeechEnded, SpeechStarted, StatusChanged, TextChunk,
    TurnCompleted,
)

METRICS = {"v2v_ms": 420.0, "stages_ms": {"endpointing": 0.0, "stt_final": 80.0,
                                          "llm_first_token": 150.0, "first_chunk": 60.0,
                                          "tts_first_audio": 110.0, "playback_start": 20.0}}
REPLY = ["The", " capital", " of", " France", " is", " Paris.", " It", " is", " lovely."]
CHUNKS = [("The capital of France is Paris.", 6), ("It is lovely.", 9)]


class FakeSession:
    def __init__(self, settings: Settings, on_event, load_s: float = 0.0,
                 token_s: float = 0.01, spoken_s: float = 0.05, heard="what is the capital"):
        self.settings = settings
        self.on_event = on_event
        self.load_s, self.token_s, self.spoken_s = load_s, token_s, spoken_s
        self.heard = heard
        self.calls: list[str] = []
        self.applied: list[Settings] = []
        self.input_level_dbfs = -42.0
        self.loading = False
        self.started = threading.Event()
        self._turn = 0
        self._cancel = threading.Event()
        self._threads: list[threading.Thread] = []

    def _emit(self, event_type, **fields):
        self.on_event(event_type(t_ns=time.monotonic_ns(), **fields))

    def start(self) -> bool:
        self.calls.append("start")
        self._emit(StatusChanged, state="loading", detail="loading models")
        time.sleep(self.load_s)  # blocking, like loading real models
        self._emit(StatusChanged, state="listening")
        self.started.set()
        return True

    def stop(self) -> None:
        self.calls.append("stop")
        self._cancel.set()
        for thread in self._threads:
            thread.join(2)

    def press(self) -> None:
        self.calls.append("press")
        self._turn += 1
        turn = self._turn
        self._emit(SpeechStarted, turn_id=turn, t_onset_ns=time.monotonic_ns())
        self._emit(StatusChanged, state="hearing")
        words = self.heard.split()
        for n in range(1, len(words) + 1):
            self._emit(PartialTranscript, turn_id=turn, text=" ".join(words[:n]),
                       stable_text=" ".join(words[:n - 1]))

    def release(self) -> None:
        self.calls.append("release")
        turn = self._turn
        self._emit(SpeechEnded, turn_id=turn, t_true_end_ns=time.monotonic_ns(), reason="ptt")
        self._emit(FinalTranscript, turn_id=turn, text=self.heard)
        self._reply(turn, self.heard)

    def submit_text(self, text: str) -> None:
        self.calls.append(f"text:{text}")
        self._turn += 1
        self._reply(self._turn, text)

    def cancel_timer(self, timer_id: int) -> None:
        self.calls.append(f"cancel_timer:{timer_id}")

    def interrupt(self) -> None:
        self.calls.append("interrupt")
        self._cancel.set()

    def clear_conversation(self) -> None:
        self.calls.append("clear")

    def apply_settings(self, new: Settings, background: bool = True) -> None:
        """Like the core: a model change reloads on a thread of its own, saying so."""
        self.calls.append("apply")
        self.applied.append(new)
        reload = (new.stt, new.llm, new.tts) != (self.settings.stt, self.settings.llm,
                                                 self.settings.tts)
        self.settings = new
        if reload:
            def load():
                self.loading = True
                self._emit(StatusChanged, state="loading", detail="loading the new models")
                time.sleep(self.load_s + 0.2)
                self.loading = False
                self._emit(StatusChanged, state="listening")
                self._emit(Notice, message="The new models are loaded.", level="info")
            thread = threading.Thread(target=load, daemon=True)
            self._threads.append(thread)
            thread.start()

    def _reply(self, turn: int, text: str) -> None:
        self._cancel.clear()
        thread = threading.Thread(target=self._respond, args=(turn, text), daemon=True)
        self._threads.append(thread)
        thread.start()

    def _respond(self, turn: int, text: str) -> None:
        gen = turn
        self._emit(StatusChanged, turn_id=turn, generation=gen, state="thinking")
        spoken = []
        for i, token in enumerate(REPLY):
            if self._cancel.is_set():
                break
            time.sleep(self.token_s)
            self._emit(LlmToken, turn_id=turn, generation=gen, text=token, index=i)
            for index, (chunk, end) in enumerate(CHUNKS):
                if end == i + 1:
                    self._emit(TextChunk, turn_id=turn, generation=gen, text=chunk, index=index,
                               token_index=end)
                    if index == 0:
                        self._emit(PlaybackStarted, turn_id=turn, generation=gen)
                        self._emit(StatusChanged, turn_id=turn, generation=gen, state="speaking")
                    self._emit(ChunkPlaybackStarted, turn_id=turn, generation=gen,
                               chunk_index=index, text=chunk)
                    spoken.append(chunk)
                    time.sleep(self.spoken_s)
        interrupted = self._cancel.is_set()
        self._emit(LlmFinished, turn_id=turn, generation=gen, text="".join(REPLY).strip(),
                   n_tokens=len(REPLY), reason="cancelled" if interrupted else "stop")
        self._emit(PlaybackFinished, turn_id=turn, generation=gen, flushed=interrupted)
        if interrupted:
            self._emit(StatusChanged, turn_id=turn, state="interrupted")
        self._emit(TurnCompleted, turn_id=turn, generation=gen, user_text=text,
                   reply_text=" ".join(spoken), interrupted=interrupted, metrics=METRICS)
        self._emit(StatusChanged, state="listening")


# --- a real Session on scripted engines and slow fake devices --------------------------------


def scripted_engines(settings: Settings, load_s: float = 0.0):
    """`Session(make_engines=...)`: the real wiring on scripted engines (no model); `load_s`
    of sleep in `start()` stands in for loading models."""
    from assistant.conversation.wiring import Engines
    from assistant.llm.history import ChatHistory
    from assistant.stt.threaded import ThreadedRecognizer
    from assistant.vad import Endpointer
    from harness.fakes import LoudnessDetector, ScriptedLlm, ScriptedRecognizer, ToneTts

    class Llm(ScriptedLlm):
        def new_history(self):
            return ChatHistory(settings.llm.system_prompt)

    class SlowEngines(Engines):
        def start(self):
            time.sleep(load_s)
            super().start()

    return SlowEngines(settings, recognizer=ThreadedRecognizer(ScriptedRecognizer(["hello"])),
                       endpointer=Endpointer(settings.vad, gate=None,
                                             detector=LoudnessDetector()),
                       llm=Llm("Hello there."), tts=ToneTts(0.05))


def slow_mics(open_s: float = 0.0):
    """A fake `sounddevice` with two microphones, each taking `open_s` to open (as a USB or
    Bluetooth device may); `opened` lists the device of each stream opened, in order. With
    `hold_opening()`, an open waits until `let_open()` (at most 10 s)."""
    from device_fakes import PluggableMic

    class SlowMics(PluggableMic):
        NAMES = ("Desk Mic", "USB Headset Mic")

        def __init__(self):
            self.opened: list[str] = []
            self.opening = threading.Event()  # set while an open waits to be let through
            self._gate = threading.Event()
            self._gate.set()
            super().__init__()

        def hold_opening(self) -> None:
            self._gate.clear()

        def let_open(self) -> None:
            self._gate.set()

        def query_devices(self):
            return [{"name": name, "max_input_channels": 1, "default_samplerate": 16000.0}
                    for name in self.NAMES]

        def InputStream(self, **kwargs):  # noqa: N802 (sounddevice's name)
            self.opening.set()
            self._gate.wait(10)
            time.sleep(open_s)  # blocking, like opening a real device
            self.opening.clear()
            self.opened.append(self.NAMES[kwargs["device"]])
            return super().InputStream(**kwargs)

    return SlowMics()


def device_session_factory(mics, load_s: float = 0.0):
    """`open_window(session_factory=...)`: a real Session whose microphone is one of `mics`
    (the one its settings name) and whose speaker only records."""
    from assistant.audio.sources import MicSource
    from assistant.audio.speaker import RecordingSpeaker
    from assistant.conversation.session import Session

    def factory(settings, on_event):
        return Session(
            settings, on_event=on_event,
            make_engines=lambda s: scripted_engines(s, load_s),
            make_source=lambda s: MicSource(s.audio.input_device or None, sd=mics,
                                            frame_ms=s.audio.frame_ms),
            make_speaker=lambda s: RecordingSpeaker(realtime=True, keep=False))
    return factory
