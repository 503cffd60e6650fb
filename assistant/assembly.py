"""Building the conversation loop from settings: the engines (slow to load, kept warm) and a
pipeline around them for a given source and speaker."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Callable

from assistant.clock import DEFAULT_CLOCK, Clock
from assistant.config import Settings

log = logging.getLogger(__name__)

# The first chunk is what the user waits for: break at a clause after 3 words, or force a
# break after 4 words (about 6 tokens, ~70 ms of generation here) or at the last word boundary
# once 8 tokens have come (a reply in Korean spends several tokens per word); later chunks go
# by sentence.
FIRST_CHUNK_MIN_WORDS = 3
FIRST_CHUNK_MAX_WORDS = 4
FIRST_CHUNK_MAX_TOKENS = 8


def _model_manager():
    from assistant.models import ModelManager

    return ModelManager()


@dataclass
class Engines:
    """The listener (VAD + recognizer), the LLM and the TTS engine of one configuration."""

    settings: Settings
    listener: object
    llm: object
    tts: object
    clock: Clock = DEFAULT_CLOCK
    started: bool = field(default=False, init=False)

    @classmethod
    def from_settings(cls, settings: Settings, notify: Callable[[str], None] = print,
                      clock: Clock = DEFAULT_CLOCK, model_manager=None) -> "Engines":
        """Cheap: resolves the models (one clear error if one is missing) but loads nothing."""
        from assistant.listening import Listener
        from assistant.llm.engine import LlmEngine
        from assistant.stt.factory import make_recognizer
        from assistant.stt.threaded import ThreadedRecognizer
        from assistant.tts.factory import make_tts

        manager = model_manager or _model_manager()
        recognizer = make_recognizer(settings, manager, notify=notify)
        # decode beside the endpointer, never in its way
        recognizer = ThreadedRecognizer(recognizer)
        listener = Listener(recognizer, settings.vad, mode=settings.conversation.mode,
                            clock=clock)
        llm_path = manager.resolve("llm-gguf", settings.llm.model)
        llm = LlmEngine(settings.llm, llm_path, clock=clock)
        tts = make_tts(settings.tts, manager)  # cached unless the cache is off
        return cls(settings=settings, listener=listener, llm=llm, tts=tts, clock=clock)

    def start(self) -> None:
        """Load and warm every model (seconds; run it off the UI thread)."""
        if self.started:
            return
        self.listener.start()
        self.llm.start()
        self.tts.start()
        self.started = True

    def close(self) -> None:
        for stage in (self.listener, self.llm, self.tts):
            try:
                stage.close()
            except Exception:
                log.exception("closing %s failed", type(stage).__name__)
        self.started = False


def build_pipeline(settings: Settings, *, engines: Engines, source, speaker,
                   clock: Clock = DEFAULT_CLOCK, on_event=None, sequential: bool = False,
                   conversation_log=None, wait_for_reply: bool = False, echo_filter=None,
                   history=None):
    from assistant.pipeline import Pipeline
    from assistant.tts.chunker import Chunker

    history = history if history is not None else engines.llm.new_history()
    return Pipeline(settings, source=source, listener=engines.listener, llm=engines.llm,
                    make_chunker=lambda: Chunker(first_min_words=FIRST_CHUNK_MIN_WORDS,
                                                 first_max_words=FIRST_CHUNK_MAX_WORDS,
                                                 first_max_tokens=FIRST_CHUNK_MAX_TOKENS),
                    tts=engines.tts, speaker=speaker, history=history,
                    clock=clock, on_event=on_event, conversation_log=conversation_log,
                    sequential=sequential, echo_filter=echo_filter,
                    wait_for_reply=wait_for_reply)
