"""The reply desk on its own: starting a reply (the LLM's or a skill's), committing,
discarding and cutting it off, what it makes of the workers' and the speaker's reports, and
finishing the turn. Its neighbours are recorders; the clock is a ManualClock."""

from __future__ import annotations

from assistant.clock import NS_PER_MS, ManualClock
from assistant.config import ConversationSettings
from assistant.conversation.reply_desk import ReplyDesk
from assistant.conversation.responder import ReplyEnd
from assistant.conversation.synthesizer import ChunkAudioReady
from assistant.conversation.turns import Floor
from assistant.events import (
    BargeIn, ChunkPlaybackStarted, LlmFinished, LlmToken, Notice, PlaybackFinished,
    PlaybackStarted, ReplyCommitted, ReplyCutOff, ReplyDiscarded, ReplyStarted, StatusChanged,
    TextChunk, TurnCompleted,
)
from assistant.llm.history import ChatHistory
from assistant.skills.skills import Skills
from assistant.skills.timers import TimerBoard

T0 = 5_000 * NS_PER_MS
RATE = 16000


class Workers:
    def __init__(self):
        self.requests = []

    def submit(self, request) -> None:
        self.requests.append(request)


class Output:
    def __init__(self):
        self.calls = []

    def hold(self, generation):
        self.calls.append(("hold", generation))

    def release(self, generation):
        self.calls.append(("release", generation))

    def drop(self, generation):
        self.calls.append(("drop", generation))


class Speaker:
    def __init__(self, clock):
        self.clock = clock
        self.generation = 0
        self.flushed_under = []  # the generation the speaker knew when it was flushed

    def flush(self) -> int:
        self.flushed_under.append(self.generation)
        return self.clock.now_ns()


class Cancels:
    def __init__(self):
        self.cancels = 0

    def cancel(self):
        self.cancels += 1


class Desk:
    """A ReplyDesk and the recorders around it."""

    def __init__(self, skills: bool = False, **settings):
        self.clock = ManualClock(T0)
        self.floor = Floor()
        self.events = []
        self.workers, self.output = Workers(), Output()
        self.speaker, self.llm, self.tts = Speaker(self.clock), Cancels(), Cancels()
        self.history = ChatHistory("Be brief.")
        self.board = TimerBoard(self.clock, wall=lambda: 1_796_220_300.0)
        self.desk = ReplyDesk(self.floor, workers=self.workers, output=self.output,
                              speaker=self.speaker, llm=self.llm, tts=self.tts,
                              history=self.history, clock=self.clock,
                              publish=self.events.append,
                              settings=ConversationSettings(**settings),
                              skills=Skills(self.board) if skills else None)
        self.desk.t0_ns = T0

    def turn(self, source: str = "voice"):
        turn = self.floor.new_turn(source=source)
        turn.t_onset_ns = self.clock.now_ns()
        return turn

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]

    def later(self, ms: int) -> int:
        self.clock.advance(ms * NS_PER_MS)
        return self.clock.now_ns()

    def report_reply(self, turn, text: str, samples_per_chunk: int = RATE):
        """The workers' and the speaker's reports of `text` written as one chunk and played
        from now to its end."""
        g = turn.generation
        for i, word in enumerate(text.split()):
            self.desk.on_report(LlmToken(turn_id=turn.turn_id, generation=g,
                                         t_ns=self.later(10), text=word + " ", index=i))
        self.desk.on_report(TextChunk(turn_id=turn.turn_id, generation=g, t_ns=self.later(1),
                                      text=text, index=0))
        self.desk.on_report(LlmFinished(turn_id=turn.turn_id, generation=g,
                                        t_ns=self.later(1), text=text,
                                        n_tokens=len(text.split())))
        self.desk.on_report(ChunkAudioReady(turn_id=turn.turn_id, generation=g,
                                            t_ns=self.later(5), chunk_index=0,
                                            n_samples=samples_per_chunk, sample_rate=RATE))
        self.desk.on_report(ReplyEnd(turn_id=turn.turn_id, generation=g, t_ns=self.later(1)))
        t_play = self.later(20)
        self.desk.on_report(PlaybackStarted(turn_id=turn.turn_id, generation=g, t_ns=t_play))
        self.desk.on_report(ChunkPlaybackStarted(turn_id=turn.turn_id, generation=g,
                                                 t_ns=t_play, chunk_index=0, text=text))


def test_starting_a_reply_asks_the_llm_under_a_new_generation():
    d = Desk(max_reply_sentences=3)
    turn = d.turn()
    d.desk.start(turn, "what is the capital of France")
    assert turn.generation == d.floor.generation == 1
    assert d.speaker.generation == 1  # stale audio is refused from now on
    assert d.floor.replying is turn and turn.committed and turn.user_text.startswith("what")
    [request] = d.workers.requests
    assert (request.turn_id, request.generation, request.max_sentences) == (turn.turn_id, 1, 3)
    assert request.fixed_text is None
    assert request.messages[-1] == {"role": "user", "content": "what is the capital of France"}
    assert request.messages[0]["role"] == "system"
    [started] = d.of(ReplyStarted)
    assert not started.speculative and started.text == "what is the capital of France"
    assert [e.state for e in d.of(StatusChanged)] == ["thinking"]
    assert d.output.calls == []  # not held: it plays as it comes


def test_a_speculative_reply_is_held_until_committed():
    d = Desk()
    turn = d.turn()
    d.desk.start(turn, "tell me a joke", speculative=True)
    assert d.output.calls == [("hold", turn.generation)]
    assert not turn.committed and turn.speculative_text == "tell me a joke"
    assert d.of(ReplyStarted)[0].speculative and d.of(ReplyCommitted) == []
    d.desk.commit(turn)
    assert d.output.calls[-1] == ("release", turn.generation) and turn.committed
    [committed] = d.of(ReplyCommitted)
    assert (committed.turn_id, committed.generation) == (turn.turn_id, turn.generation)
    d.desk.commit(turn)  # committing again releases again but is not news
    assert len(d.of(ReplyCommitted)) == 1


def test_a_discarded_reply_is_dropped_everywhere_and_forgotten():
    d = Desk()
    turn = d.turn()
    d.desk.start(turn, "tell me a", speculative=True)
    old = turn.generation
    d.report_reply(turn, "Here is one.")
    assert turn.written and turn.chunks and "first_token" in turn.timeline.marks
    d.desk.discard(turn)
    assert d.floor.generation == old + 1 and d.speaker.generation == old + 1
    assert d.llm.cancels == 1 and ("drop", old) in d.output.calls
    assert d.floor.replying is None and turn.speculative_text is None
    assert turn.written == [] and turn.chunks == {}
    assert not {"first_token", "first_chunk", "first_audio"} & set(turn.timeline.marks)
    [discarded] = d.of(ReplyDiscarded)
    assert discarded.generation == old  # the reply that was dropped
    assert d.of(TurnCompleted) == [] and d.history.turns == []


def test_the_reports_of_a_reply_are_written_into_its_turn_and_shown():
    d = Desk()
    turn = d.turn()
    d.desk.start(turn, "hello")
    d.report_reply(turn, "Hi there friend.")
    assert "".join(turn.written) == "Hi there friend. "
    assert turn.reply_text == "Hi there friend."
    chunk = turn.chunks[0]
    assert (chunk.text, chunk.n_samples, chunk.sample_rate) == ("Hi there friend.", RATE, RATE)
    assert chunk.t_play_ns == d.of(PlaybackStarted)[0].t_ns
    assert {"first_token", "first_chunk", "first_audio", "first_played"} <= set(
        turn.timeline.marks)
    assert d.of(ChunkAudioReady) == [] and d.of(ReplyEnd) == []  # internal, not published
    assert len(d.of(LlmToken)) == 3 and len(d.of(TextChunk)) == 1
    assert [e.state for e in d.of(StatusChanged)] == ["thinking", "speaking"]


def test_the_reply_played_to_its_end_finishes_the_turn_into_the_history():
    d = Desk()
    turn = d.turn()
    d.desk.start(turn, "hello")
    d.report_reply(turn, "Hi there.")
    d.desk.on_report(PlaybackFinished(turn_id=turn.turn_id, generation=turn.generation,
                                      t_ns=d.later(1000)))
    [done] = d.of(TurnCompleted)
    assert (done.user_text, done.reply_text, done.interrupted) == ("hello", "Hi there.", False)
    assert done.metrics["turn_id"] == turn.turn_id and turn.finished
    assert d.floor.replying is None
    assert d.of(StatusChanged)[-1].state == "listening"
    assert [(t.role, t.text) for t in d.history.turns] == [("user", "hello"),
                                                          ("assistant", "Hi there.")]
    # the end reported again (or late) finishes nothing a second time
    d.desk.on_report(PlaybackFinished(turn_id=turn.turn_id, generation=turn.generation,
                                      t_ns=d.later(10)))
    d.desk.finish(turn, interrupted=True)
    assert len(d.of(TurnCompleted)) == 1 and len(d.history.turns) == 2


def test_reports_of_an_older_generation_change_nothing_but_failures_are_shown():
    d = Desk()
    turn = d.turn()
    d.desk.start(turn, "hello")
    stale = turn.generation
    d.desk.discard(turn)  # the generation moves on
    before = len(d.events)
    d.desk.on_report(LlmToken(turn_id=turn.turn_id, generation=stale, t_ns=d.later(1),
                              text="late ", index=0))
    d.desk.on_report(PlaybackFinished(turn_id=turn.turn_id, generation=stale, t_ns=d.later(1)))
    assert turn.written == [] and not turn.finished and len(d.events) == before
    notice = Notice(turn_id=turn.turn_id, generation=stale, t_ns=d.later(1), level="error",
                    message="The voice could not speak part of the reply.")
    d.desk.on_report(notice)
    assert d.events[-1] is notice


def test_a_flushed_playback_does_not_finish_the_turn():
    d = Desk()
    turn = d.turn()
    d.desk.start(turn, "hello")
    d.desk.on_report(PlaybackFinished(turn_id=turn.turn_id, generation=turn.generation,
                                      t_ns=d.later(5), flushed=True))
    assert not turn.finished and d.floor.replying is turn and d.of(TurnCompleted) == []


def test_cutting_off_silences_first_then_cancels_and_keeps_what_was_heard():
    d = Desk()
    turn = d.turn()
    d.desk.start(turn, "tell me a story")
    old = turn.generation
    d.report_reply(turn, "Once upon a time there was a fox.", samples_per_chunk=RATE * 2)
    onset = d.later(1000)  # half of the chunk's two seconds played
    d.desk.cut_off(turn, onset_ns=onset, reason="barge-in")
    assert d.speaker.flushed_under == [old + 1]  # the new generation was known before flush
    assert (d.llm.cancels, d.tts.cancels) == (1, 1) and ("drop", old) in d.output.calls
    assert d.floor.replying is None
    [cut] = d.of(ReplyCutOff)
    assert (cut.generation, cut.reason, cut.t_silent_ns) == (old, "barge-in", onset)
    [barge] = d.of(BargeIn)
    assert barge.t_onset_ns == onset and barge.t_silent_ns == onset
    assert [e.state for e in d.of(StatusChanged)][-1] == "interrupted"
    [done] = d.of(TurnCompleted)
    assert done.interrupted and done.reply_text == "Once upon a time"  # 4 of 8 words heard
    assert d.history.turns[-1].interrupted and d.history.turns[-1].text == "Once upon a time"


def test_a_reply_cut_off_before_it_was_heard_is_no_barge_in():
    d = Desk()
    turn = d.turn()
    d.desk.start(turn, "hello")
    d.desk.cut_off(turn, onset_ns=d.later(100), reason="stop")
    assert d.of(BargeIn) == [] and d.of(ReplyCutOff)[0].reason == "stop"
    assert d.of(TurnCompleted)[0].reply_text == "" and d.of(TurnCompleted)[0].interrupted


def test_a_new_reply_cuts_off_the_one_in_progress():
    d = Desk()
    first, second = d.turn(), d.turn()
    d.desk.start(first, "hello")
    d.desk.start(second, "no wait")
    [cut] = d.of(ReplyCutOff)
    assert cut.turn_id == first.turn_id and cut.reason == "new-turn"
    assert first.finished and first.interrupted and second.barge_in
    assert d.floor.replying is second and second.generation == d.floor.generation


def test_a_skill_answers_without_the_llm_and_acts_at_once_when_not_speculative():
    d = Desk(skills=True)
    turn = d.turn()
    d.desk.start(turn, "Set a timer for five minutes.")
    [request] = d.workers.requests
    assert request.fixed_text == "OK, a 5 minute timer, starting now."
    assert request.messages == [] and turn.skill.skill == "timer"
    assert [t.name for t in d.board.active()] == ["5 minute timer"]


def test_a_speculative_skill_reply_acts_only_when_committed_and_never_when_discarded():
    d = Desk(skills=True)
    kept, dropped = d.turn(), d.turn()
    d.desk.start(dropped, "set a timer for ten minutes", speculative=True)
    assert d.board.active() == []
    d.desk.discard(dropped)
    d.desk.start(kept, "set a timer for two minutes", speculative=True)
    assert d.board.active() == []
    d.desk.commit(kept)
    assert [t.name for t in d.board.active()] == ["2 minute timer"]
    d.desk.commit(kept)  # the action runs once
    assert len(d.board.active()) == 1


def test_skills_stay_out_of_the_llm_history_but_can_be_said_again():
    d = Desk(skills=True)
    asked = d.turn()
    d.desk.start(asked, "hello")  # the LLM's
    d.report_reply(asked, "Hi there.")
    d.desk.on_report(PlaybackFinished(turn_id=asked.turn_id, generation=asked.generation,
                                      t_ns=d.later(1000)))
    timer = d.turn()
    d.desk.start(timer, "set a timer for one minute")
    d.report_reply(timer, "OK, a 1 minute timer, starting now.")
    d.desk.on_report(PlaybackFinished(turn_id=timer.turn_id, generation=timer.generation,
                                      t_ns=d.later(1000)))
    assert [t.text for t in d.history.turns] == ["hello", "Hi there."]
    again = d.turn()
    d.desk.start(again, "say that again")
    assert d.workers.requests[-1].fixed_text == "OK, a 1 minute timer, starting now."


def test_skills_switched_off_or_a_ring_turn_go_their_own_way():
    d = Desk(skills=True, local_skills=False)
    turn = d.turn()
    d.desk.start(turn, "set a timer for one minute")
    assert d.workers.requests[-1].fixed_text is None and turn.skill is None
    d = Desk(skills=True)
    ring = d.turn(source="timer")
    d.desk.start(ring, "set a timer for one minute")  # a ring's own text is never a request
    assert d.workers.requests[-1].fixed_text is None and d.board.active() == []


def test_stop_said_right_after_a_question_is_the_stop_skill():
    d = Desk(skills=True)
    question = d.turn()
    question.user_text = "what is the tallest mountain"
    turn = d.turn()
    turn.continues = question
    d.desk.start(turn, "what is the tallest mountain stop")
    assert turn.skill is not None and turn.skill.skill == "stop"
    assert d.workers.requests[-1].fixed_text == ""


def test_the_turn_record_is_on_the_input_timeline():
    d = Desk()
    turn = d.turn()
    d.desk.start(turn, "hello")
    d.report_reply(turn, "Hi.", samples_per_chunk=RATE // 2)
    d.desk.on_report(PlaybackFinished(turn_id=turn.turn_id, generation=turn.generation,
                                      t_ns=d.later(500)))
    record = d.of(TurnCompleted)[0].metrics
    played = d.of(PlaybackStarted)[0].t_ns
    assert record["t_first_audio_ms"] == (played - T0) / NS_PER_MS
    assert record["t_speech_start_ms"] == 0.0
