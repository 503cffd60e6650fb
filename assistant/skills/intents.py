"""What a transcript asks of the skills, if anything: `understand(text) -> Intent | None`.

Tolerant of what recognizers write (see normalize.py): "Set a timer for ten minutes.", "10
minute timer", "set a timer for to minutes" (a misheard "two") are one request. Short whole
requests ("stop", "say that again", "what time is it") are matched as whole utterances,
fuzzily (rapidfuzz), so a word misheard or a "please" added still counts and a sentence that
merely contains "stop" does not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from assistant.skills.normalize import normalize
from assistant.skills.quantities import parse_clock_time, parse_duration


@dataclass(frozen=True)
class Intent:
    pass


@dataclass(frozen=True)
class TellTime(Intent):
    with_date: bool = False
    place: str = ""  # "tokyo": the time there; "": here


@dataclass(frozen=True)
class TellDate(Intent):
    place: str = ""


@dataclass(frozen=True)
class SetTimer(Intent):
    seconds: float
    label: str = ""
    kind: str = "timer"  # an alarm "in 10 minutes" is a timer that says "alarm"


@dataclass(frozen=True)
class SetAlarm(Intent):
    hour: int
    minute: int
    sure: bool  # False: "at 7" could be morning or evening (the sooner is taken)


@dataclass(frozen=True)
class AskHowLong(Intent):
    kind: str  # "set a timer" with no length: ask for one


@dataclass(frozen=True)
class Which:
    """Which timers a question or a cancel is about (a part of an intent, not one); empty
    fields match any."""

    kind: str | None = None
    label: str = ""
    seconds: float | None = None
    every: bool = False


@dataclass(frozen=True)
class TimersLeft(Intent):
    which: Which


@dataclass(frozen=True)
class CancelTimers(Intent):
    which: Which


@dataclass(frozen=True)
class StopTalking(Intent):
    pass


@dataclass(frozen=True)
class SayAgain(Intent):
    pass


FILLERS = {"please", "ok", "hey", "um", "uh", "oh", "now", "just", "right", "so", "well",
           "assistant", "thanks", "thank", "you", "then", "and"}
STOP = ("stop", "stop it", "stop talking", "stop that", "be quiet", "quiet", "shut up",
        "enough", "that's enough", "thats enough", "hush", "silence", "never mind",
        "nevermind", "cancel", "stop stop", "no stop", "that's all", "be silent", "shush")
AGAIN = ("say that again", "say it again", "can you say that again", "could you say that again",
         "repeat that", "repeat", "repeat it", "can you repeat that", "could you repeat that",
         "what did you say", "come again", "pardon", "pardon me", "sorry what", "what",
         "sorry", "i didn't catch that", "i didn't hear you", "i didn't hear that",
         "one more time", "1 more time", "again", "say again", "what was that")
TIME = ("what time is it", "what's the time", "what is the time", "tell me the time",
        "what time it is", "do you have the time", "what's the time now", "what time is it now",
        "the time", "time", "current time", "what's the current time", "what time do we have",
        "got the time")
DATE = ("what's the date", "what is the date", "what's today's date", "what is today's date",
        "what day is it", "what day is today", "what's the date today", "what is the date today",
        "what date is it", "what's today", "what is today", "what day of the week is it",
        "which day is it", "today's date", "the date", "date", "what date is today",
        "what day is it today")
DATE_AND_TIME = ("what's the date and time", "what's the time and date", "date and time",
                 "time and date", "what is the date and time", "what is the time and date")
# "can you tell me ...", "do you know ...": the request is what follows
_ASKING = re.compile(r"^(?:(?:can|could|would|will) you (?:please )?(?:tell me|say|give me)"
                     r"|(?:do|did) you know|tell me|i'd like to know|i want to know"
                     r"|i wonder|let me know)\s+")
_CUTOFF = 86  # rapidfuzz ratio (0-100) for a whole-utterance match
# "Stop. What time is it in Tokyo?", "Wait, wait, tell me about cats instead": the stop is the
# act of cutting in; what follows is what is asked. Without punctuation between them (Vosk
# writes none) the next words must open a request: "wait for me" is not a stop.
_STOP_WORDS = (r"(?:(?:okay|ok|no|oh)\W+)?(?:stop(?:\W+(?:it|that|talking|stop|please))?"
               r"|wait(?:\W+wait)?|hold on|hang on)")
_OPENERS = ("what|what's|whats|when|where|who|whose|how|why|which|tell|can|could|would|will|"
            "please|set|play|give|say|is|are|do|does|did|i|i'm|let's|lets|no|actually|instead")
_LEADING_STOP = re.compile(
    rf"^\W*{_STOP_WORDS}(?:\s*[,.!?;:-]+\W*|\s+(?:and|please)\s+|\s+(?=(?:{_OPENERS})\b))"
    r"(?P<rest>\w.*)$", re.IGNORECASE | re.DOTALL)
# "what time is it in tokyo": a time or date request, then the place (no digits: "the time
# in 10 minutes" names none)
_IN_PLACE = re.compile(r"^(?P<ask>.+?)\s+(?:over |out |down |up )?in\s+(?P<place>[a-z][a-z' ]*)$")

_TIMER = re.compile(r"\b(?:timers?|timmers?)\b")
_ALARM = re.compile(r"\b(?:alarms?|wake me(?: up)?)\b")
_CANCEL = re.compile(r"\b(?:cancel|cancelled|stop|delete|remove|clear|dismiss|turn off|"
                     r"switch off|kill|get rid of|forget|end|reset"
                     # "cancel" as recognizers mishear it
                     r"|can'?t? solve|can sell|counsel|council)\b")
_QUERY = re.compile(r"\b(?:how (?:much|long)|left|remaining|remain|status|check|when|"
                    r"what timers|what alarms|any timers|any alarms|do i have|is there|"
                    r"are there|list|show)\b")
_SET = re.compile(r"\b(?:set|start|make|create|put|add|new|begin|give me|i need|i want|"
                  r"i'd like|can you|could you|please|wake)\b")
_TIME_LEFT = re.compile(r"\bhow much (?:time )?(?:is )?(?:left|longer)\b|\btime (?:left|remaining)\b"
                        r"|\bhow long (?:is )?left\b")
_REMIND = re.compile(r"\bremind me in\b")
_SET_FOR = re.compile(r"^(?:can you |could you |please )?(?:set|start)\b(?:\s+\S+){0,3}?\s+for\s+"
                      r"(?:\d|an?\b|half|one\b).*\b(?:hours?|minutes?|seconds?)(?: please)?$")
_EVERY = re.compile(r"\b(?:all|every|both|everything)\b")
_NOT_A_LABEL = {"a", "an", "the", "my", "new", "another", "quick", "set", "start", "one",
                "minute", "minutes", "hour", "hours", "second", "seconds", "kitchen", "this",
                "that", "your", "for", "of", "all", "every", "both", "and", "other", "last",
                "timer", "timers", "alarm", "alarms"}
_LABEL_BEFORE = re.compile(r"\b(?:a|an|the|my|your)\s+(?:\d+(?:\.\d+)? (?:hour|minute|second)s? )?"
                           r"([a-z']+) timers?\b")
_LABEL_AFTER = re.compile(r"\btimers? (?:for|called|named|labelled|labeled) (?:the |my |a )?([a-z']+)\b"
                          r"(?! (?:hour|minute|second))")
_LABEL_END = re.compile(r"\b(?:for|on) (?:the|my) ([a-z']+)$")


def _trim_fillers(text: str) -> str:
    words = text.split()
    while words and words[0] in FILLERS:
        words.pop(0)
    while words and words[-1] in FILLERS:
        words.pop()
    return " ".join(words)


def _label(text: str) -> str:
    for pattern in (_LABEL_AFTER, _LABEL_BEFORE, _LABEL_END):
        for match in pattern.finditer(text):
            word = match.group(1)
            if word not in _NOT_A_LABEL and not word[0].isdigit():
                return word
    return ""


def _which(text: str, has_timer: bool, has_alarm: bool) -> Which:
    kind = None
    if has_timer != has_alarm:
        kind = "timer" if has_timer else "alarm"
    every = (re.search(r"\b(?:timers|alarms)\b", text) is not None
             or _EVERY.search(text) is not None)
    return Which(kind=kind, label=_label(text), seconds=parse_duration(text), every=every)


_WHOLE = {**{p: StopTalking() for p in STOP}, **{p: SayAgain() for p in AGAIN},
          **{p: TellTime() for p in TIME}, **{p: TellDate() for p in DATE},
          **{p: TellTime(with_date=True) for p in DATE_AND_TIME}}


def _whole_request(text: str) -> Intent | None:
    """The short request the whole utterance is (the closest phrase, if close enough)."""
    if not text:
        return None
    best = process.extractOne(text, _WHOLE.keys(), scorer=fuzz.ratio, score_cutoff=_CUTOFF)
    return _WHOLE[best[0]] if best is not None else None


def after_stop(text: str) -> str | None:
    """What a longer utterance asks after the "stop" (or "wait", "hold on") it opens with, or
    None when it does not open so, or when what follows is a word or another stop ("stop it
    now", "stop! what?" stay a stop; "stop, what time is it?" is the time)."""
    match = _LEADING_STOP.match(text.strip())
    if match is None:
        return None
    whole = understand(text)
    if whole is not None and not isinstance(whole, StopTalking):
        return None  # "stop the timer": a request of its own
    rest = match["rest"].strip()
    while (again := _LEADING_STOP.match(rest)) is not None:  # "stop, stop, stop. Can you..."
        rest = again["rest"].strip()
    if len(rest.split()) < 2:
        return None  # "stop! what?": too little to answer
    if isinstance(_whole_request(_trim_fillers(normalize(rest))), StopTalking):
        return None  # "stop, be quiet": a stop all through
    return rest


def understand(text: str) -> Intent | None:
    """The skill a final transcript asks for, or None (the language model answers it)."""
    normal = normalize(text)
    if not normal:
        return None
    bare = _trim_fillers(normal)
    whole = _whole_request(bare)
    if isinstance(whole, (StopTalking, SayAgain)):
        return whole
    has_timer = _TIMER.search(normal) is not None
    has_alarm = _ALARM.search(normal) is not None
    if has_timer or has_alarm:
        return _timer_intent(normal, has_timer, has_alarm)
    if _TIME_LEFT.search(normal):
        return TimersLeft(Which())
    if _REMIND.search(normal) and (seconds := parse_duration(normal)):
        return SetTimer(seconds, label="reminder")
    if _SET_FOR.match(bare) and (seconds := parse_duration(normal)):
        # "start a ... for 90 seconds": the shape of a timer request, its noun misheard
        # ("start at tyler for 90 seconds") or left out ("set one for 10 minutes")
        return SetTimer(seconds)
    return _time_in_place(bare) or whole or _whole_request(_ASKING.sub("", bare))


def _time_in_place(bare: str) -> Intent | None:
    """"what time is it in tokyo", "time in new york", "what's the date in sydney": the time
    or date request with the place it is asked for."""
    match = _IN_PLACE.match(bare)
    if match is None:
        return None
    ask = match["ask"]
    asked = _whole_request(ask) or _whole_request(_ASKING.sub("", ask))
    place = match["place"].strip()
    if isinstance(asked, TellTime):
        return TellTime(with_date=asked.with_date, place=place)
    if isinstance(asked, TellDate):
        return TellDate(place=place)
    return None


def _timer_intent(normal: str, has_timer: bool, has_alarm: bool) -> Intent | None:
    if _CANCEL.search(normal):
        return CancelTimers(_which(normal, has_timer, has_alarm))
    if _QUERY.search(normal):
        return TimersLeft(_which(normal, has_timer, has_alarm))
    seconds = parse_duration(normal)
    if has_alarm and not has_timer:
        clock = parse_clock_time(normal)
        if clock is not None and not (seconds and re.search(r"\bin \d|\bin an?\b", normal)):
            return SetAlarm(*clock)
        if seconds:
            return SetTimer(seconds, kind="alarm")
        return AskHowLong("alarm") if _SET.search(normal) or len(normal.split()) <= 3 else None
    if seconds:
        return SetTimer(seconds, label=_label(normal))
    if _SET.search(normal) or len(normal.split()) <= 3:
        return AskHowLong("timer")
    return None
