"""The loop survives a failing LLM: the turn ends with a short spoken and visible apology, and
the next turn works. Scripted engines on the stage harness; the conversation, responder,
synthesizer and playback queue are the real ones."""

from assistant.conversation.responder import APOLOGY
from assistant.events import Notice
from harness.fakes import ScriptedLlm
from harness.stage import Stage


class FlakyLlm(ScriptedLlm):
    """Streams a canned reply; the first call dies after three tokens."""

    def __init__(self):
        super().__init__("Sure, the answer is yes.")
        self.calls = 0

    def stream_reply(self, messages, generation=0):
        self.calls += 1
        stream = super().stream_reply(messages, generation)
        if self.calls > 1:
            return stream
        return _Dies(stream, after=3)


class _Dies:
    def __init__(self, stream, after: int):
        self.stream, self.after = stream, after
        self.n_tokens, self.finish_reason = 0, ""

    def __iter__(self):
        for n, token in enumerate(self.stream):
            if n == self.after:
                raise RuntimeError("llama_decode returned -3")
            yield token


def test_llm_failure_ends_the_turn_with_an_apology_and_the_next_turn_works():
    stage = Stage(llm=FlakyLlm())
    stage.type("first question")
    stage.wait(5000)
    stage.type("second question")
    stage.wait(3000)
    first, second = stage.completed()
    assert first.reply_text == APOLOGY and not first.interrupted  # spoken in full
    assert any(e.level == "error" for e in stage.of(Notice))  # and shown
    assert second.reply_text == "Sure, the answer is yes."
    assert stage.speaker.audible
