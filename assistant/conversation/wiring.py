"""Building the conversation loop: the engines (slow to load, kept warm, owned here), the one
assembly of a conversation around them (`assemble`, which the stage harness uses too) and the
lane around that for any source and speaker (`build_conversation`: the app, `listen`,
`replay`, the bench and the server).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

from assistant.clock import DEFAULT_CLOCK, Clock
from assistant.config import Settings
from assistant.conversation.conversation import Conversation, Parts
from assistant.conversation.inbox import REPORT, Inbox
from assistant.conversation.lane import Lane
from assistant.conversation.observers import Observers
from assistant.conversation.output import HeldOutput, WholeReplyOutput
from assistant.conversation.responder import Responder
from assistant.conversation.sequential import WholeReplyChunker, WholeUtterance
from assistant.conversation.stages import (
    AudioSource, EchoFilter, LanguageModel, NoEchoFilter, Speaker, SpeechSynthesizer,
    TurnDetector,
)
from assistant.conversation.synthesizer import Synthesizer
from assistant.conversation.turns import Floor
from assistant.conversation.workers import ReplyWorkers
from assistant.events import Event
from assistant.llm.history import ChatHistory
from assistant.stt.base import Recognizer
from assistant.vad import Endpointer

log = logging.getLogger(__name__)

# The first chunk is what the user waits for: break at a clause after 3 words, or force a
# break after 4 words or at the last word boundary once 8 tokens have come (a reply in Korean
# spends several tokens per word); later chunks go by sentence. A voice whose first audio
# grows with each word (the TTS engine's `first_chunk_max_words`) gets fewer: a clause after
# one word less than that ("Sure,"), and chunks that grow from there.
FIRST_CHUNK_MIN_WORDS = 3
FIRST_CHUNK_MAX_WORDS = 4
FIRST_CHUNK_MAX_TOKENS = 8
# after a shorter first chunk, each chunk may hold up to 3 times the words of the one before
# until they are sentences: synthesized while the one before plays (assistant/tts/chunker.py)
CHUNK_RAMP = 3


def make_chunker(first_max_words: int = FIRST_CHUNK_MAX_WORDS):
    from assistant.tts.chunker import Chunker

    return Chunker(first_min_words=min(FIRST_CHUNK_MIN_WORDS, first_max_words - 1),
                   first_max_words=first_max_words, first_max_tokens=FIRST_CHUNK_MAX_TOKENS,
                   ramp=CHUNK_RAMP if first_max_words < FIRST_CHUNK_MAX_WORDS else 0)


@dataclass
class Engines:
    """The recognizer, the endpointer, the LLM and the TTS engine of one configuration: the
    only owner of their models (conversations use them, never load or close them)."""

    settings: Settings
    recognizer: Recognizer
    endpointer: Endpointer
    llm: LanguageModel
    tts: SpeechSynthesizer
    turn_detector: TurnDetector | None = None  # None: turns end on silence
    started: bool = field(default=False, init=False)

    @classmethod
    def from_settings(cls, settings: Settings, notify: Callable[[str], None] = print,
                      model_manager=None) -> "Engines":
        """Cheap: resolves the models (one clear error if one is missing) but loads nothing."""
        from assistant.llm.engine import LlmEngine
        from assistant.modelstore.manager import ModelManager
        from assistant.stt.factory import make_recognizer
        from assistant.stt.threaded import ThreadedRecognizer
        from assistant.tts.factory import make_tts

        manager = model_manager or ModelManager()
        # decode beside the endpointer, never in its way
        recognizer = ThreadedRecognizer(make_recognizer(settings, manager, notify=notify))
        llm_path = manager.resolve("llm-gguf", settings.llm.model)
        return cls(settings=settings, recognizer=recognizer, endpointer=Endpointer(settings.vad),
                   llm=LlmEngine(settings.llm, llm_path),
                   tts=make_tts(settings.tts, manager, notify=notify),
                   turn_detector=make_turn_detector(settings, manager, notify))

    def start(self) -> None:
        """Load and warm every model (seconds; run it off the UI thread)."""
        if self.started:
            return
        self.recognizer.start()
        self.endpointer.start()
        self.llm.start()
        self.tts.start()
        if self.turn_detector is not None:
            self.turn_detector.start()
        self.started = True

    def close(self) -> None:
        for stage in (self.recognizer, self.endpointer, self.llm, self.tts, self.turn_detector):
            if stage is None:
                continue
            try:
                stage.close()
            except Exception:
                log.exception("closing %s failed", type(stage).__name__)
        self.started = False


def make_turn_detector(settings: Settings, manager, notify: Callable[[str], None]):
    """The end-of-turn model on its thread, or None (the turn ends on silence): the setting
    says "silence", or the model is not installed (said once, with what to run)."""
    if settings.turn.detector != "smart":
        return None
    from assistant.errors import ModelError
    from assistant.turn_detection.smart_turn import SmartTurn, TurnDetectorThread

    try:
        path = manager.resolve("turn-detector", settings.turn.model)
    except ModelError as exc:
        notify(f"{exc} Until then a turn ends after {settings.vad.end_silence_ms} ms of silence.")
        return None
    return TurnDetectorThread(SmartTurn(path))


def assemble(settings: Settings, engines: Engines, *, speaker: Speaker, history: ChatHistory,
             clock: Clock, publish: Callable[[Event], None], echo_filter: EchoFilter,
             skills=None, sequential: bool = False, workers=ReplyWorkers) -> Conversation:
    """The one place a conversation is put together from its engines: the floor, the inbox,
    the reply workers (`workers`: the class; the stage harness gives one that runs on its own
    thread), the output and the conversation around them. `sequential`: the no-overlap
    baseline (each stage buffers, then runs)."""
    floor, inbox = Floor(), Inbox()
    speaker.report_to(partial(inbox.post, kind=REPORT))  # what played comes back as a report
    def voice_chunker():  # read per reply: the default voice knows its engine once started
        return make_chunker(engines.tts.first_chunk_max_words)

    chunker = (lambda: WholeReplyChunker(voice_chunker)) if sequential else voice_chunker
    output = WholeReplyOutput(speaker) if sequential else HeldOutput(speaker)
    reply_workers = workers(Responder(engines.llm, chunker, clock, floor.is_current),
                            Synthesizer(engines.tts, clock, floor.is_current), output,
                            report=partial(inbox.post, kind=REPORT))
    recognizer = WholeUtterance(engines.recognizer) if sequential else engines.recognizer
    parts = Parts(recognizer=recognizer, endpointer=engines.endpointer, workers=reply_workers,
                  output=output, speaker=speaker, llm=engines.llm, tts=engines.tts,
                  history=history, echo_filter=echo_filter,
                  turn_detector=engines.turn_detector, skills=skills)
    return Conversation(settings, parts, floor=floor, inbox=inbox, clock=clock,
                        publish=publish, speculative=not sequential)


def build_conversation(settings: Settings, *, engines: Engines, source: AudioSource,
                       speaker: Speaker, history=None, clock: Clock = DEFAULT_CLOCK,
                       subscribers: tuple[Callable[[Event], None], ...] = (),
                       sequential: bool = False, echo_cancellation: bool | None = None,
                       pace_by_replies: bool = False, skills=None) -> Lane:
    """A conversation on `source` and `speaker` with warm `engines`, ready to `start()`, for
    the app, `listen`, `replay`, the bench and the server.

    `sequential`: the no-overlap baseline. `echo_cancellation` (default: the setting) puts
    WebRTC's canceller between the microphone and the endpointer, with what the speaker plays
    as its reference. `pace_by_replies`: take no frame while a reply is on its way (fast
    replays). `skills`: the local skills and their timers, kept by a session across
    conversations (default: new ones, with timers that end with the lane)."""
    if echo_cancellation is None:
        echo_cancellation = settings.conversation.echo_cancellation
    echo_filter: EchoFilter = NoEchoFilter()
    if echo_cancellation:
        from assistant.audio.echo_cancel import EchoCanceller

        echo_filter = EchoCanceller(speaker_rate=speaker.sample_rate)
        speaker.add_tap(echo_filter.on_played, sync=True)
    engines.endpointer.restart()  # a new input stream: no pre-roll or onset from the last
    observers = Observers(*subscribers)
    if skills is None:
        from assistant.skills.skills import Skills
        from assistant.skills.timers import TimerBoard

        skills = Skills(TimerBoard(clock))
    conversation = assemble(
        settings, engines, speaker=speaker,
        history=history if history is not None else engines.llm.new_history(), clock=clock,
        publish=observers.publish, echo_filter=echo_filter, skills=skills,
        sequential=sequential)
    return Lane(conversation, source, observers, pace_by_replies=pace_by_replies)
