"""The reply side of the turns, kept by the conversation thread: starting a reply, cutting one
off, writing down what the workers and the speaker report, and finishing the turn.

A skill (assistant/skills/) answers what it knows without the LLM: the time, timers, "stop".
Its reply goes through the same stages as the LLM's (chunks, voice, output, speaker); what it
does (set a timer) is done when the reply is committed, never for a speculative reply that
is thrown away, and its exchange stays out of the LLM's history. A "stop" that opens a longer
utterance ("Stop. What time is it in Tokyo?") is the act of cutting in: the rest is answered.

Cancellation is one generation counter (`Floor.generation`). Starting a reply or cutting one
off bumps it; every stage drops work of older generations. The speaker learns the new
generation first and is flushed right after, so nothing queued under the old one can play,
not even a piece that was on its way when the reply was cut off.
"""

from __future__ import annotations

from typing import Callable

from assistant.config import ConversationSettings
from assistant.conversation.output import HeldOutput
from assistant.conversation.responder import ReplyEnd, ReplyRequest
from assistant.conversation.synthesizer import ChunkAudioReady
from assistant.conversation.turn_state import ReplyOver, ReplyPlaying
from assistant.conversation.turns import ChunkAudio, Floor, Turn
from assistant.events import (
    BargeIn, ChunkPlaybackStarted, Event, LlmFinished, LlmToken, Notice, PlaybackFinished,
    PlaybackStarted, ReplyCommitted, ReplyCutOff, ReplyDiscarded, ReplyStarted, StatusChanged,
    TextChunk, TurnCompleted,
)
from assistant.llm.history import ChatHistory
from assistant.skills.intents import after_stop


class ReplyDesk:
    def __init__(self, floor: Floor, *, workers, output: HeldOutput, speaker, llm, tts,
                 history: ChatHistory, clock, publish: Callable[[Event], None],
                 settings: ConversationSettings, skills=None,
                 tell: Callable[[Turn, object], None] = lambda turn, message: None):
        self.floor = floor
        self.workers = workers
        self.output = output
        self.speaker = speaker
        self.llm = llm
        self.tts = tts
        self.history = history
        self.clock = clock
        self.publish = publish
        self.settings = settings  # read per reply (the sentence budget, skills on): live
        self.skills = skills  # assistant.skills.Skills, or None (everything goes to the LLM)
        self.t0_ns = 0  # the input timeline's origin, for the records
        self.tell = tell  # the turn machine hears how the reply goes (playing, over)

    # --- the generation ---------------------------------------------------------------------

    def _bump(self) -> int:
        generation = self.floor.bump()
        self.speaker.generation = generation  # before any flush: stale audio is refused
        return generation

    # --- starting and stopping ----------------------------------------------------------------

    def start(self, turn: Turn, text: str, speculative: bool = False, skill=None) -> None:
        """Answer `text`: a skill's reply when one takes it (or `skill`, a timer's ring),
        otherwise the LLM's."""
        previous = self.floor.replying
        if previous is not None and previous is not turn:
            self.cut_off(previous, onset_ns=turn.t_onset_ns or self.clock.now_ns(),
                         reason="new-turn")
            turn.barge_in = True
        turn.generation = self._bump()
        turn.user_text = text
        # "Stop. What time is it in Tokyo?": the stop cut the last reply off; the rest is asked
        asked = after_stop(text) or text
        turn.committed = not speculative
        turn.speculative_text = text if speculative else None
        turn.skill = skill if skill is not None else self._skill_for(turn, asked)
        self.floor.replying = turn
        if speculative:
            self.output.hold(turn.generation)
        self.publish(ReplyStarted(turn_id=turn.turn_id, generation=turn.generation,
                                  t_ns=self.clock.now_ns(), text=text, speculative=speculative))
        if turn.skill is not None:
            request = ReplyRequest(turn_id=turn.turn_id, generation=turn.generation, messages=[],
                                   fixed_text=turn.skill.text, sound=turn.skill.sound)
            if not speculative:
                turn.skill.act()
        else:
            request = ReplyRequest(turn_id=turn.turn_id, generation=turn.generation,
                                   messages=self.history.messages_for(asked),
                                   max_sentences=self.settings.max_reply_sentences)
        self.workers.submit(request)
        self.publish(StatusChanged(t_ns=self.clock.now_ns(), state="thinking",
                                   turn_id=turn.turn_id, generation=turn.generation))

    def _skill_for(self, turn: Turn, text: str):
        if self.skills is None or not self.settings.local_skills or turn.source == "timer":
            return None
        skill = self.skills.reply_for(text)
        if skill is None and turn.continues is not None:
            # "stop" said right after a question: the words are the question's and the stop's
            own = self.skills.reply_for(text[len(turn.continues.user_text):])
            if own is not None and own.skill == "stop":
                skill = own
        return skill

    def commit(self, turn: Turn) -> None:
        """The speculative reply was right: its held audio plays now (and a skill's action,
        such as setting a timer, is done now)."""
        was_speculative, turn.committed = not turn.committed, True
        if turn.skill is not None:
            turn.skill.act()
        self.output.release(turn.generation)
        if was_speculative:
            self.publish(ReplyCommitted(turn_id=turn.turn_id, generation=turn.generation,
                                        t_ns=self.clock.now_ns()))

    def discard(self, turn: Turn) -> None:
        """The user went on talking: the speculative reply is dropped everywhere."""
        generation = turn.generation
        self._bump()
        self.llm.cancel()
        self.output.drop(turn.generation)
        turn.speculative_text = None
        turn.skill = None
        for key in ("first_token", "first_chunk", "first_audio"):
            turn.timeline.marks.pop(key, None)
        turn.chunks.clear()
        turn.written.clear()
        if self.floor.replying is turn:
            self.floor.replying = None
        self.publish(ReplyDiscarded(turn_id=turn.turn_id, generation=generation,
                                    t_ns=self.clock.now_ns()))

    def cut_off(self, turn: Turn, onset_ns: int, reason: str = "barge-in") -> None:
        """Silence first, then cancel; the turn is finished with what was actually played."""
        t_detected = self.clock.now_ns()
        self._bump()
        t_silent = self.speaker.flush()
        self.llm.cancel()
        self.tts.cancel()
        self.output.drop(turn.generation)
        if self.floor.replying is turn:
            self.floor.replying = None
        self.publish(ReplyCutOff(turn_id=turn.turn_id, generation=turn.generation,
                                 t_ns=self.clock.now_ns(), t_silent_ns=t_silent, reason=reason))
        if "first_played" in turn.timeline.marks:
            self.publish(BargeIn(turn_id=turn.turn_id, generation=turn.generation,
                                 t_ns=self.clock.now_ns(), t_onset_ns=onset_ns,
                                 t_silent_ns=t_silent, t_detected_ns=t_detected))
        self.publish(StatusChanged(t_ns=self.clock.now_ns(), state="interrupted",
                                   turn_id=turn.turn_id))
        self.finish(turn, interrupted=True, t_silent_ns=t_silent)

    # --- what the workers and the speaker report --------------------------------------------

    def on_report(self, event: Event) -> None:
        turn = self.floor.turn(event.turn_id)
        current = self.floor.is_current(event.generation)
        if isinstance(event, PlaybackFinished):
            if turn is not None and current and not event.flushed and not turn.finished:
                if self.floor.replying is turn:
                    self.floor.replying = None
                self.finish(turn, interrupted=False)
                self.publish(StatusChanged(t_ns=event.t_ns, state="listening"))
            return
        if isinstance(event, Notice):  # a worker's failure: always shown
            self.publish(event)
            return
        if turn is None or not current:
            return
        if isinstance(event, LlmToken):
            if event.index == 0:
                turn.timeline.mark("first_token", event.t_ns)
            turn.written.append(event.text)
        elif isinstance(event, TextChunk):
            turn.timeline.mark("first_chunk", event.t_ns)
            turn.chunks[event.index] = ChunkAudio(index=event.index, text=event.text)
        elif isinstance(event, LlmFinished):
            turn.reply_text = event.text
        elif isinstance(event, ChunkAudioReady):
            turn.timeline.mark("first_audio", event.t_ns)
            info = turn.chunks.get(event.chunk_index)
            if info is not None:
                info.n_samples += event.n_samples
                info.sample_rate = event.sample_rate
            return  # internal: nobody else needs it
        elif isinstance(event, ReplyEnd):
            return
        elif isinstance(event, PlaybackStarted):
            turn.timeline.mark("first_played", event.t_ns)
            self.tell(turn, ReplyPlaying())
            self.publish(event)
            self.publish(StatusChanged(t_ns=event.t_ns, state="speaking", turn_id=turn.turn_id))
            return
        elif isinstance(event, ChunkPlaybackStarted):
            info = turn.chunks.get(event.chunk_index)
            if info is not None and info.t_play_ns is None:
                info.t_play_ns = event.t_ns
        self.publish(event)

    # --- the end of a turn ----------------------------------------------------------------

    def finish(self, turn: Turn, interrupted: bool, t_silent_ns: int | None = None) -> None:
        if turn.finished:
            return
        turn.finished = True
        turn.interrupted = interrupted
        self.tell(turn, ReplyOver())
        record = turn.record(t0_ns=self.t0_ns, t_silent_ns=t_silent_ns)
        # a reply heard in full goes back to the model exactly as it wrote it, so the next
        # prompt shares its prefix with the model's cache and only the new words are evaluated
        heard = record["reply_text"] if interrupted else (turn.reply_text or record["reply_text"])
        if turn.skill is None:
            self.history.add_exchange(turn.user_text, heard, interrupted)
        if self.skills is not None and (turn.skill is None or turn.skill.skill != "stop"):
            self.skills.heard(turn.reply_text)  # "say that again" says it in full
        self.floor.forget_before(turn.turn_id)
        self.publish(TurnCompleted(turn_id=turn.turn_id, generation=turn.generation,
                                   t_ns=self.clock.now_ns(), user_text=turn.user_text,
                                   reply_text=record["reply_text"], interrupted=interrupted,
                                   metrics=record))
