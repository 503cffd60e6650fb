"""Durations and times of day in normalized text (see normalize.py), and how to say them.

    parse_duration("set a timer for 1 hour and 30 minutes") -> 5400.0
    parse_duration("a 10 minute pasta timer") -> 600.0
    parse_clock_time("wake me at 6:45 pm") -> (18, 45)
    say_duration(272) -> "4 minutes and 32 seconds"
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

_UNIT_SECONDS = {"hour": 3600, "minute": 60, "second": 1}
_NUMBER = r"\d+(?:\.\d+)?|an?|one|to|too|for"  # "to", "too", "for": how 2 and 4 are misheard
_MISHEARD = {"a": 1, "an": 1, "one": 1, "to": 2, "too": 2, "for": 4}
_TERM = re.compile(
    rf"\b(?P<num>{_NUMBER})\s+(?P<half>and an? (?:half|quarter)\s+)?"
    r"(?P<unit>hour|minute|second)s?\b(?P<after>\s+and an? (?:half|quarter)\b)?")
_FRACTION_OF = re.compile(r"\b(?P<part>half|quarter|3 quarters) (?:of )?an? (?P<unit>hour|minute)\b")
_COUPLE = re.compile(r"\ba (?:couple|few) (?:of )?(?P<unit>hour|minute|second)s\b")
_FRACTIONS = {"half": 0.5, "quarter": 0.25, "3 quarters": 0.75}


def _fraction(text: str | None) -> float:
    if not text:
        return 0.0
    return 0.5 if "half" in text else 0.25


def parse_duration(text: str) -> float | None:
    """The seconds a normalized text names ("1 hour and 30 minutes", "half an hour", "a
    couple of minutes"), or None when it names none."""
    total, found = 0.0, False
    covered: list[tuple[int, int]] = []
    for match in _FRACTION_OF.finditer(text):
        total += _FRACTIONS[match["part"]] * _UNIT_SECONDS[match["unit"]]
        covered.append(match.span())
        found = True
    for match in _COUPLE.finditer(text):
        total += (2 if "couple" in match.group(0) else 3) * _UNIT_SECONDS[match["unit"]]
        covered.append(match.span())
        found = True
    for match in _TERM.finditer(text):
        if any(start <= match.start() < end for start, end in covered):
            continue
        raw = match["num"]
        number = _MISHEARD[raw] if raw in _MISHEARD else float(raw)
        number += _fraction(match["half"]) + _fraction(match["after"])
        total += number * _UNIT_SECONDS[match["unit"]]
        found = True
    return total if found and total > 0 else None


_PART_OF_DAY = (r"in the morning|in the afternoon|in the evening|at night|tonight"
                r"|this evening|this afternoon|tomorrow morning")
_CLOCK = re.compile(
    r"\b(?:(?P<noon>noon|midday|midnight)"
    r"|(?P<rel>half|quarter|\d{1,2}) (?P<dir>past|after|to|before) (?P<rhour>\d{1,2})"
    r"|(?P<compact>\d{1,2})(?P<compact_minute>[0-5]\d)"  # "730": how Whisper writes 7:30
    r"|(?P<hour>\d{1,2})(?::(?P<minute>\d{2})| (?P<spaced>\d{2})\b| (?P<oclock>oclock))?)"
    rf"(?:\s*(?P<ampm>am|pm)\b)?(?:\s+(?P<part>{_PART_OF_DAY}))?\b")


def parse_clock_time(text: str) -> tuple[int, int, bool] | None:
    """(hour 0-23, minute, sure) for the time of day a normalized text names; `sure` is False
    when it could be morning or evening ("at 7"). None when it names none."""
    for match in _CLOCK.finditer(text):
        ampm, part = match["ampm"], match["part"] or ""
        if match["noon"]:
            return (0 if match["noon"] == "midnight" else 12), 0, True
        if match["rel"]:
            rel = match["rel"]
            minute = {"half": 30, "quarter": 15}.get(rel) or int(rel)
            hour = int(match["rhour"])
            if match["dir"] in ("to", "before"):
                hour, minute = hour - 1, 60 - minute
        else:
            if match["compact"]:
                hour, minute = int(match["compact"]), int(match["compact_minute"])
            else:
                hour = int(match["hour"])
                minute = int(match["minute"] or match["spaced"] or 0)
            bare = not (match["minute"] or match["spaced"] or match["oclock"] or ampm or part)
            if bare and re.match(r"\s*(?:hour|minute|second)", text[match.end():]):
                continue  # "in 10 minutes", "130 seconds": a duration, not a time of day
        if hour > 23 or minute > 59:
            continue
        if ampm == "pm" or any(word in part for word in ("afternoon", "evening", "night")):
            return (hour % 12) + 12, minute, True
        if ampm == "am" or "morning" in part:
            return hour % 12, minute, True
        return hour, minute, hour == 0 or hour > 12
    return None


def next_occurrence(now: datetime, hour: int, minute: int, sure: bool) -> datetime:
    """The next time of day after `now` at `hour`:`minute`; a time that could be either half
    of the day ("7") is the sooner of 7:00 and 19:00."""
    candidates = [(hour, minute)]
    if not sure and hour < 12:
        candidates.append((hour + 12, minute))
    best = None
    for h, m in candidates:
        at = now.replace(hour=h, minute=m, second=0, microsecond=0)
        if at <= now:
            at += timedelta(days=1)
        if best is None or at < best:
            best = at
    return best


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" + ("" if n == 1 else "s")


def say_duration(seconds: float, exact: bool = False) -> str:
    """A duration as said aloud, rounded as a person would for what is left ("4 minutes and
    32 seconds", "about 2 hours and 5 minutes"); `exact` keeps every unit (a timer's length)."""
    seconds = max(int(round(seconds)), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if not exact and hours:
        secs = 0
    elif not exact and minutes >= 10:
        minutes, secs = minutes + (1 if secs >= 30 else 0), 0
    parts = [_plural(n, u) for n, u in ((hours, "hour"), (minutes, "minute"), (secs, "second"))
             if n]
    if not parts:
        return "0 seconds"
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def duration_label(seconds: float) -> str:
    """A timer's name from its length, as people name them: "10 minute", "90 second", "1 hour
    and 30 minute"."""
    seconds = int(round(seconds))
    if seconds < 60 or (seconds < 120 and seconds % 60):
        return f"{seconds} second"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{n} {unit}" for n, unit in ((hours, "hour"), (minutes, "minute"), (secs, "second"))
             if n]
    return " and ".join(parts)


def say_clock(at: datetime) -> str:
    """A time of day as said aloud: "3:05 PM", "12 noon", "midnight"."""
    if at.hour == 12 and at.minute == 0:
        return "12 noon"
    if at.hour == 0 and at.minute == 0:
        return "midnight"
    hour = at.hour % 12 or 12
    suffix = "AM" if at.hour < 12 else "PM"
    return f"{hour} {suffix}" if at.minute == 0 else f"{hour}:{at.minute:02d} {suffix}"


def say_date(at: datetime) -> str:
    """"Wednesday, December 2nd"."""
    day = at.day
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{at:%A}, {at:%B} {day}{suffix}"
