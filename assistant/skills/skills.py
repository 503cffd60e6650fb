"""The skills' answers: what to say for an intent, and what to do once the reply is heard.

`Skills.reply_for(text)` matches a final transcript (intents.py) and returns a `SkillReply`:
the words to say, an optional chime before them, and an `action` (set or cancel a timer,
silence the rings) that the conversation runs only when the reply is committed, so a
speculative reply thrown away changes nothing. Due timers become rings (`collect_due`,
`next_ring`), which the conversation plays when nobody is speaking.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from assistant.skills import intents as i
from assistant.skills.quantities import (
    duration_label, next_occurrence, say_clock, say_date, say_duration,
)
from assistant.skills.timers import MAX_SECONDS, MAX_TIMERS, Timer, TimerBoard
from assistant.skills.zones import Spread, find_zone, place_name

LISTED = 3  # timers named in one reply; the rest are counted
# what needs a board that something keeps and rings (see `Skills.timers_elsewhere`)
TIMER_INTENTS = (i.SetTimer, i.SetAlarm, i.AskHowLong, i.TimersLeft, i.CancelTimers)


@dataclass
class SkillReply:
    skill: str  # "time", "date", "timer", "alarm", "timers", "cancel", "stop", "again", "ring"
    text: str  # what is said; "" says nothing (stop)
    sound: str = ""  # "chime": rung before the words
    action: Callable[[], None] | None = None  # run once, when the reply is committed

    def act(self) -> None:
        action, self.action = self.action, None
        if action is not None:
            action()


def _article(name: str) -> str:
    """"an" before a vowel sound: "an 8 minute", "an 11 minute", "an egg"."""
    spoken_vowel = name[:1] in "aeiou8" or name.split(" ", 1)[0] in ("11", "18")
    return "an" if spoken_vowel else "a"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


class Skills:
    def __init__(self, board: TimerBoard, timers_elsewhere: str = ""):
        self.board = board
        # where nothing stays running to ring a timer (`ask`, the server's /v1/reply): what
        # every timer request is answered instead; "": timers are kept and rung here
        self.timers_elsewhere = timers_elsewhere
        self.last_reply = ""  # the last reply said, for "say that again"
        self._rings: collections.deque[SkillReply] = collections.deque()
        lost = board.take_lost()
        if lost:
            self._rings.append(self._lost(lost))

    # --- answering ------------------------------------------------------------------------

    def now(self) -> datetime:
        """Local wall-clock time, from the board's clock (one source for both)."""
        return datetime.fromtimestamp(self.board.wall())

    def reply_for(self, text: str) -> SkillReply | None:
        intent = i.understand(text)
        if intent is None:
            return None
        if self.timers_elsewhere and isinstance(intent, TIMER_INTENTS):
            return SkillReply("timer", self.timers_elsewhere)
        return HANDLERS[type(intent)](self, intent)

    def heard(self, reply_text: str) -> None:
        if reply_text.strip():
            self.last_reply = reply_text.strip()

    def _tell_time(self, intent: i.TellTime) -> SkillReply:
        if intent.place:
            return self._there(intent.place, clock=True, date=intent.with_date)
        now = self.now()
        if intent.with_date:
            return SkillReply("time", f"It's {say_clock(now)} on {say_date(now)}.")
        return SkillReply("time", f"It's {say_clock(now)}.")

    def _tell_date(self, intent: i.TellDate) -> SkillReply:
        if intent.place:
            return self._there(intent.place, clock=False, date=True)
        return SkillReply("date", f"Today is {say_date(self.now())}.")

    def _there(self, place: str, clock: bool, date: bool) -> SkillReply:
        """The time or date in a place said aloud, from the tz database; a place it cannot
        place gets an honest answer, never a guess."""
        skill = "time" if clock else "date"
        name = place_name(place)
        zone = find_zone(place)
        if zone is None:
            return SkillReply(skill, f"I don't know the time zone of {name}.")
        if isinstance(zone, Spread):
            a, b = zone.examples
            return SkillReply(skill, f"{name[:1].upper()}{name[1:]} has several time zones. "
                                     f"Name a city, like {a} or {b}.")
        there = datetime.fromtimestamp(self.board.wall(), tz=zone)
        if clock and date:
            return SkillReply(skill, f"In {name} it's {say_clock(there)} on {say_date(there)}.")
        if date:
            return SkillReply(skill, f"In {name} it's {say_date(there)}.")
        if there.date() != self.now().date():  # the other side of midnight: the day too
            return SkillReply(skill, f"In {name} it's {say_clock(there)} on {there:%A}.")
        return SkillReply(skill, f"In {name} it's {say_clock(there)}.")

    def _stop_talking(self, intent: i.StopTalking) -> SkillReply:
        return SkillReply("stop", "", action=self._rings.clear)

    def _say_again(self, intent: i.SayAgain) -> SkillReply:
        return SkillReply("again", self.last_reply or "I haven't said anything yet.")

    def _ask_how_long(self, intent: i.AskHowLong) -> SkillReply:
        if intent.kind == "alarm":
            return SkillReply("alarm", "For what time? You can say, set an alarm for 7 AM.")
        return SkillReply("timer", "For how long? You can say, set a timer for 5 minutes.")

    # --- setting ------------------------------------------------------------------------

    def _full(self) -> SkillReply | None:
        if len(self.board.active()) >= MAX_TIMERS:
            return SkillReply("timer", f"I can keep {MAX_TIMERS} timers at most. "
                                       "Cancel one first.")
        return None

    def _others(self, kind: str) -> str:
        n = len(self.board.active(kind)) + 1
        return f" That makes {n} {kind}s." if n > 1 else ""

    def _set_timer(self, intent: i.SetTimer) -> SkillReply:
        if intent.seconds > MAX_SECONDS:
            return SkillReply("timer", "I can set timers of up to 24 hours.")
        if intent.seconds < 1:
            return SkillReply("timer", "That is too short for a timer.")
        full = self._full()
        if full is not None:
            return full
        seconds = math.floor(intent.seconds + 0.5)
        length = say_duration(seconds, exact=True)
        if intent.kind == "alarm":
            text = f"OK, an alarm in {length}."
        elif intent.label:
            text = f"OK, {_article(intent.label)} {intent.label} timer for {length}, starting now."
        else:
            name = duration_label(seconds)
            text = f"OK, {_article(name)} {name} timer, starting now."
        return SkillReply("timer", text + self._others(intent.kind),
                          action=lambda: self.board.add(intent.kind, seconds, intent.label))

    def _set_alarm(self, intent: i.SetAlarm) -> SkillReply:
        full = self._full()
        if full is not None:
            return full
        now = self.now()
        at = next_occurrence(now, intent.hour, intent.minute, intent.sure)
        seconds = (at - now).total_seconds()
        text = f"OK, an alarm for {say_clock(at)}, in {say_duration(seconds)}."
        return SkillReply("alarm", text + self._others("alarm"),
                          action=lambda: self._add_alarm(at))

    def _add_alarm(self, at: datetime) -> None:
        self.board.add("alarm", max((at - self.now()).total_seconds(), 1.0))

    # --- asking and cancelling ------------------------------------------------------------

    def _select(self, which: i.Which) -> list[Timer]:
        timers = self.board.active(which.kind)
        if which.label:
            timers = [t for t in timers if t.label == which.label]
        if which.seconds is not None:
            timers = [t for t in timers if abs(t.seconds - which.seconds) <= 1.0] \
                or [t for t in timers if t.kind == "timer" and abs(t.seconds - which.seconds)
                    <= max(1.0, 0.02 * which.seconds)]
        return timers

    def _none(self, which: i.Which) -> str:
        if which.label:
            return f"You have no timer called {which.label}."
        if which.seconds is not None:
            return f"You have no {duration_label(which.seconds)} timer."
        return f"You have no {'alarms' if which.kind == 'alarm' else 'timers'}."

    def _left(self, timer: Timer, first: bool) -> str:
        left = say_duration(self.board.remaining_s(timer))
        if timer.kind == "alarm":
            return f"{'your' if first else 'the'} {timer.name} goes off in {left}"
        return f"{'your' if first else 'the'} {timer.name} has {left} left"

    def _timers_left(self, intent: i.TimersLeft) -> SkillReply:
        timers = self._select(intent.which)
        if not timers:
            return SkillReply("timers", self._none(intent.which))
        if len(timers) == 1:
            text = self._left(timers[0], True)
            return SkillReply("timers", text[0].upper() + text[1:] + ".")
        parts = [self._left(t, False) for t in timers[:LISTED]]
        if len(timers) > LISTED:
            parts.append(f"{len(timers) - LISTED} more")
        kinds = {t.kind for t in timers}
        noun = "alarms" if kinds == {"alarm"} else "timers"
        return SkillReply("timers", f"You have {len(timers)} {noun}: {_join(parts)}.")

    def _cancel_timers(self, intent: i.CancelTimers) -> SkillReply:
        which = intent.which
        timers = self._select(which)
        if not timers:
            return SkillReply("cancel", self._none(which))
        specific = which.label or which.seconds is not None
        if len(timers) > 1 and not which.every and not specific:
            names = _join([f"the {t.name}" for t in timers[:LISTED]])
            noun = "alarms" if {t.kind for t in timers} == {"alarm"} else "timers"
            return SkillReply("cancel", f"You have {len(timers)} {noun}: {names}. Which one "
                                        f"should I cancel? You can also say, cancel all {noun}.")
        ids = [t.timer_id for t in timers]
        if len(timers) == 1:
            text = f"OK, I've cancelled the {timers[0].name}."
        elif len({t.kind for t in timers}) == 1:
            text = f"OK, I've cancelled {_count(len(timers), timers[0].kind)}."
        else:
            text = f"OK, I've cancelled all {len(timers)}."
        return SkillReply("cancel", text, action=lambda: self.board.cancel(ids))

    # --- ringing --------------------------------------------------------------------------

    def collect_due(self, now_ns: int) -> None:
        """Due timers become one ring (taken off the board)."""
        due = self.board.pop_due(now_ns)
        if due:
            self._rings.append(self._ring(due))

    def next_ring(self) -> SkillReply | None:
        return self._rings.popleft() if self._rings else None

    @property
    def ringing(self) -> bool:
        return bool(self._rings)

    def _ring(self, due: list[Timer]) -> SkillReply:
        alarms = [t for t in due if t.kind == "alarm"]
        timers = [t for t in due if t.kind != "alarm"]
        sentences = []
        if alarms:
            sentences.append(f"It's {say_clock(self.now())}. Your alarm is going off."
                             if len(alarms) == 1 else
                             f"It's {say_clock(self.now())}. {len(alarms)} alarms are going off.")
        if timers:
            names = _join([f"your {t.name}" for t in timers])
            verb = "is" if len(timers) == 1 else "are"
            sentences.append(f"{names[0].upper()}{names[1:]} {verb} done.")
        return SkillReply("ring", " ".join(sentences), sound="chime")

    def _lost(self, lost: list[Timer]) -> SkillReply:
        parts = [f"your {t.name}, at {say_clock(datetime.fromtimestamp(t.due_epoch_s))}"
                 for t in lost[:LISTED]]
        if len(lost) > LISTED:
            parts.append(f"{len(lost) - LISTED} more")
        return SkillReply("ring", f"While I was closed, {_join(parts)} went off.")


# the reply to each intent `understand` returns; a new intent needs its line here (the skills'
# tests check that every intent has one)
HANDLERS: dict[type[i.Intent], Callable[[Skills, Any], SkillReply]] = {
    i.TellTime: Skills._tell_time,
    i.TellDate: Skills._tell_date,
    i.StopTalking: Skills._stop_talking,
    i.SayAgain: Skills._say_again,
    i.AskHowLong: Skills._ask_how_long,
    i.SetTimer: Skills._set_timer,
    i.SetAlarm: Skills._set_alarm,
    i.TimersLeft: Skills._timers_left,
    i.CancelTimers: Skills._cancel_timers,
}


def answer(skills: Skills | None, text: str, enabled: bool = True) -> SkillReply | None:
    """What a skill says to a question asked outside a conversation (`ask`, /v1/reply), its
    action done at once (nothing there is speculative); None: the LLM answers. The loop asks
    `reply_for` itself, as a reply may be speculative there."""
    if skills is None or not enabled:
        return None
    reply = skills.reply_for(text)
    if reply is not None:
        reply.act()
        skills.heard(reply.text)
    return reply
