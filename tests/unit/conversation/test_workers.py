"""The reply workers' two threads (assistant/conversation/workers.py): the responder writes,
the synthesizer speaks, every chunk is reported before its audio goes out, a skill's reply
needs no responder, stale work is dropped and a failure keeps the threads alive. Scripted
LLM and voice; the tests wait on events and joins, never on the clock."""

from __future__ import annotations

import threading

import pytest

from assistant.clock import ManualClock
from assistant.conversation.responder import PrefillRequest, ReplyEnd, ReplyRequest, Responder
from assistant.conversation.synthesizer import ChunkAudioReady, Synthesizer
from assistant.conversation.turns import Floor
from assistant.conversation.wiring import make_chunker
from assistant.conversation.workers import ReplyWorkers
from assistant.events import AudioChunk, LlmFinished, Notice, TextChunk
from harness.fakes import ScriptedLlm, ToneTts

WAIT_S = 5.0  # only ever reached when the workers are broken
MESSAGES = [{"role": "user", "content": "hello"}]


class GatedLlm(ScriptedLlm):
    """Stops before its first token until `gate` is set; says so on `reached`. Each prefill
    sets `prefilled_event`."""

    def __init__(self, reply: str):
        super().__init__(reply)
        self.gate, self.reached = threading.Event(), threading.Event()
        self.prefilled_event = threading.Event()

    def stream_reply(self, messages, generation=0):
        stream = super().stream_reply(messages, generation)
        tokens = iter(stream)

        class Gated:
            n_tokens = property(lambda _: stream.n_tokens)
            finish_reason = property(lambda _: stream.finish_reason)

            def __iter__(inner):
                self.reached.set()
                assert self.gate.wait(WAIT_S)
                yield from tokens

        return Gated()

    def prefill(self, messages, upto):
        super().prefill(messages, upto)
        self.prefilled_event.set()
        return True


class BrokenTts(ToneTts):
    def synthesize(self, text):
        if "boom" in text.lower():
            raise RuntimeError("the voice failed")
        yield from super().synthesize(text)


class Recorder:
    """The output and the report in one log, in the order things happened; `ended(g)` is
    set when the end marker of generation g reaches the output."""

    def __init__(self):
        self.log = []
        self._lock = threading.Lock()
        self._ends: dict[int, threading.Event] = {}

    def ended(self, generation: int) -> threading.Event:
        with self._lock:
            return self._ends.setdefault(generation, threading.Event())

    def report(self, event):
        with self._lock:
            self.log.append(("report", event))

    def play(self, chunk: AudioChunk):
        with self._lock:
            self.log.append(("play", chunk))
        if chunk.last:
            self.ended(chunk.generation).set()

    def reports(self, kind=object):
        return [e for what, e in self.log if what == "report" and isinstance(e, kind)]

    def played(self):
        return [c for what, c in self.log if what == "play"]


class Lane:
    def __init__(self, reply: str = "Sure. Here it is.", tts=None, start: bool = True):
        self.floor = Floor()
        self.clock = ManualClock(0)
        self.llm = GatedLlm(reply)
        self.llm.gate.set()
        self.out = Recorder()
        self.workers = ReplyWorkers(
            Responder(self.llm, make_chunker, self.clock, self.floor.is_current),
            Synthesizer(tts or ToneTts(0.05), self.clock, self.floor.is_current),
            self.out, report=self.out.report)
        if start:
            self.workers.start()

    def ask(self, text: str | None = None, turn_id: int = 1) -> int:
        generation = self.floor.bump()
        self.workers.submit(ReplyRequest(turn_id=turn_id, generation=generation,
                                         messages=MESSAGES, fixed_text=text))
        return generation

    def until_ended(self, generation: int) -> None:
        assert self.out.ended(generation).wait(WAIT_S), "the reply never reached the output"


@pytest.fixture
def lane():
    made = []

    def make(**options) -> Lane:
        made.append(Lane(**options))
        return made[-1]

    yield make
    for each in made:
        each.llm.gate.set()
        each.workers.stop()


def test_a_reply_is_written_spoken_and_ended_in_order(lane):
    lane = lane()
    generation = lane.ask()
    lane.until_ended(generation)
    chunks = lane.out.reports(TextChunk)
    assert " ".join(c.text for c in chunks) == "Sure. Here it is."
    [finished] = lane.out.reports(LlmFinished)
    assert finished.text == "Sure. Here it is." and finished.reason == "stop"
    assert len(lane.out.reports(ReplyEnd)) == 1
    played = lane.out.played()
    assert played[-1].last and played[-1].chunk_index == -1
    assert {c.chunk_index for c in played[:-1]} == {c.index for c in chunks}
    words = sum(len(c.text.split()) for c in chunks)
    ready = lane.out.reports(ChunkAudioReady)
    assert sum(r.n_samples for r in ready) == sum(len(c.samples) for c in played)
    assert sum(len(c.samples) for c in played) == words * ToneTts(0.05).samples_per_word


def test_every_chunk_is_on_record_before_its_audio_is_played(lane):
    lane = lane(reply="One. Two. Three. Four.")
    lane.until_ended(lane.ask())
    seen = set()
    for what, item in lane.out.log:
        if what == "report" and isinstance(item, TextChunk):
            seen.add(item.index)
        elif what == "play" and not item.last:
            assert item.chunk_index in seen, f"chunk {item.chunk_index} played before reported"
    assert len(seen) >= 2


def test_a_skill_reply_is_cut_and_queued_at_once_even_while_the_responder_is_busy(lane):
    lane = lane()
    lane.llm.gate.clear()
    lane.ask()
    assert lane.llm.reached.wait(WAIT_S)  # the responder is held inside the LLM
    generation = lane.ask("It is five past two.", turn_id=2)
    # submit() returned: the skill's words were reported on this thread already
    [finished] = lane.out.reports(LlmFinished)
    assert finished.reason == "skill" and finished.turn_id == 2
    lane.until_ended(generation)  # and spoken while the LLM still waits
    assert lane.llm.asked == ["hello"] and not lane.llm.gate.is_set()
    assert [c.turn_id for c in lane.out.played()] and \
        {c.turn_id for c in lane.out.played()} == {2}


def test_a_reply_whose_generation_has_passed_stops_at_the_next_token(lane):
    lane = lane()
    lane.llm.gate.clear()
    lane.ask()
    assert lane.llm.reached.wait(WAIT_S)
    lane.floor.bump()  # cut off while the LLM was thinking
    lane.llm.gate.set()
    newer = lane.ask("Okay.", turn_id=2)  # a later reply, to know the threads went past it
    lane.until_ended(newer)
    lane.workers.stop()
    [old, new] = sorted(lane.out.reports(LlmFinished), key=lambda e: e.turn_id)
    assert old.reason == "cancelled" and old.text == ""
    assert {c.turn_id for c in lane.out.reports(TextChunk)} == {2}
    assert {c.turn_id for c in lane.out.played()} == {2}


def test_queued_chunks_of_a_passed_generation_are_never_spoken(lane):
    lane = lane(start=False)
    stale = lane.ask("This was cut off.")  # cut and queued before the threads run
    assert lane.out.reports(TextChunk)
    lane.floor.bump()
    current = lane.ask("This is current.", turn_id=2)
    lane.workers.start()
    lane.until_ended(current)
    assert not lane.out.ended(stale).is_set()
    assert {c.generation for c in lane.out.played()} == {current}


def test_a_prefill_is_done_when_nothing_waits_behind_it(lane):
    lane = lane()
    lane.workers.prefill(PrefillRequest(messages=MESSAGES, upto="hello"))
    assert lane.llm.prefilled_event.wait(WAIT_S)
    assert lane.llm.prefilled == ["hello"]


def test_a_prefill_is_skipped_when_a_reply_waits_behind_it(lane):
    lane = lane(start=False)
    lane.workers.prefill(PrefillRequest(messages=MESSAGES, upto="hel"))
    generation = lane.ask()
    lane.workers.start()
    lane.until_ended(generation)
    assert lane.llm.prefilled == [] and lane.llm.asked == ["hello"]


def test_busy_until_the_reply_is_written_and_spoken(lane):
    lane = lane()
    assert lane.workers.idle()
    lane.llm.gate.clear()
    generation = lane.ask()
    assert not lane.workers.idle()
    assert lane.llm.reached.wait(WAIT_S)
    assert not lane.workers.idle()
    lane.llm.gate.set()
    lane.until_ended(generation)
    lane.workers.stop()  # joins both threads: nothing of the reply is left in flight
    assert lane.workers.idle()


def test_a_voice_that_fails_is_reported_and_the_next_chunk_still_speaks(lane):
    lane = lane(reply="Boom goes the first. Then the second one.", tts=BrokenTts(0.05))
    lane.until_ended(lane.ask())
    [notice] = lane.out.reports(Notice)
    assert notice.level == "error" and "could not speak" in notice.message
    texts = {c.text for c in lane.out.played() if not c.last}
    assert texts and all("Boom" not in t for t in texts)
    assert any("second" in t for t in texts)


def test_a_report_that_fails_keeps_the_responder_for_the_next_reply(lane):
    lane = lane()
    failed = threading.Event()
    report = lane.out.report

    def fails_once(event):
        if not failed.is_set():
            failed.set()
            raise RuntimeError("the inbox is gone")
        report(event)

    lane.workers.report = fails_once
    lane.ask()
    assert failed.wait(WAIT_S)
    generation = lane.ask(turn_id=2)  # the thread is still there to answer
    lane.until_ended(generation)
    assert [e.turn_id for e in lane.out.reports(LlmFinished)] == [2]


def test_stop_ends_both_threads():
    lane = Lane()
    threads = list(lane.workers._threads)
    assert [t.name for t in threads] == ["responder", "synth"]
    assert all(t.is_alive() for t in threads)
    lane.workers.stop()
    assert not any(t.is_alive() for t in threads)
