"""The time in a named place: the words that ask for it, the zone each place is in, and the
hour said for it, on a fixed wall clock (the tz database decides the offsets, summer time
included)."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import pytest

from assistant.clock import ManualClock
from assistant.skills.intents import SetTimer, TellDate, TellTime, understand
from assistant.skills.skills import Skills, answer
from assistant.skills.timers import TimerBoard
from assistant.skills.zones import Spread, find_zone, place_name

WINTER = datetime(2026, 12, 2, 14, 5, tzinfo=timezone.utc).timestamp()  # a Wednesday
SUMMER = datetime(2026, 7, 1, 14, 5, tzinfo=timezone.utc).timestamp()
EVENING = datetime(2026, 12, 2, 20, 30, tzinfo=timezone.utc).timestamp()


@pytest.fixture(autouse=True)
def here_is_utc(monkeypatch):
    """The machine's own zone is UTC, so "here" is the same in every run."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def skills_at(epoch_s: float, **kw) -> Skills:
    return Skills(TimerBoard(ManualClock(), wall=lambda: epoch_s), **kw)


def said(text: str, at: float = WINTER) -> str:
    reply = skills_at(at).reply_for(text)
    assert reply is not None, text
    return reply.text


@pytest.mark.parametrize("text, intent", [
    ("What time is it in Tokyo?", TellTime(place="tokyo")),
    ("What's the time in London right now?", TellTime(place="london")),
    ("Time in New York.", TellTime(place="new york")),
    ("Can you tell me what time it is in Los Angeles?", TellTime(place="los angeles")),
    ("what time is it over in Sydney", TellTime(place="sydney")),
    ("What's the date and time in Berlin?", TellTime(with_date=True, place="berlin")),
    ("What's the date in Tokyo?", TellDate(place="tokyo")),
    ("What day is it in Sydney?", TellDate(place="sydney")),
    ("What time is it?", TellTime()),
])
def test_a_time_asked_for_a_place(text, intent):
    assert understand(text) == intent


@pytest.mark.parametrize("text", [
    "Tell me about life in Paris.", "What is the best time to be in Tokyo?",
    "What time is it in 10 minutes?",
])
def test_a_place_without_a_time_request_is_no_skill(text):
    assert not getattr(understand(text), "place", "")


def test_a_timer_with_in_is_still_a_timer():
    assert understand("Remind me in 20 minutes") == SetTimer(1200, label="reminder")


@pytest.mark.parametrize("place, zone", [
    ("tokyo", "Asia/Tokyo"), ("london", "Europe/London"), ("new york", "America/New_York"),
    ("los angeles", "America/Los_Angeles"), ("sydney", "Australia/Sydney"),
    ("paris", "Europe/Paris"), ("berlin", "Europe/Berlin"), ("india", "Asia/Kolkata"),
    ("delhi", "Asia/Kolkata"), ("utc", "UTC"), ("the uk", "Europe/London"),
    ("san francisco", "America/Los_Angeles"), ("tokyo japan", "Asia/Tokyo"),
    ("europe paris", "Europe/Paris"), ("sao paulo", "America/Sao_Paulo"),
    ("pacific time", "America/Los_Angeles"),
])
def test_places_are_found_in_the_tz_database(place, zone):
    assert str(find_zone(place)) == zone


def test_a_country_with_several_zones_and_an_unknown_place():
    assert isinstance(find_zone("the united states"), Spread)
    assert find_zone("atlantis") is None
    assert place_name("new york") == "New York" and place_name("the uk") == "the UK"


@pytest.mark.parametrize("text, reply", [
    ("What time is it in Tokyo?", "In Tokyo it's 11:05 PM."),
    ("What time is it in London?", "In London it's 2:05 PM."),
    ("What time is it in New York?", "In New York it's 9:05 AM."),
    ("What time is it in Los Angeles?", "In Los Angeles it's 6:05 AM."),
    ("What time is it in Berlin?", "In Berlin it's 3:05 PM."),
    ("What time is it in India?", "In India it's 7:35 PM."),
    ("What time is it in UTC?", "In UTC it's 2:05 PM."),
    # past midnight there: the day is said too
    ("What time is it in Sydney?", "In Sydney it's 1:05 AM on Thursday."),
])
def test_the_hour_there_in_winter(text, reply):
    assert said(text) == reply


@pytest.mark.parametrize("text, reply", [
    ("What time is it in London?", "In London it's 3:05 PM."),  # British summer time
    ("What time is it in New York?", "In New York it's 10:05 AM."),
    ("What time is it in Sydney?", "In Sydney it's 12:05 AM on Thursday."),  # no summer time
])
def test_the_hour_there_in_summer(text, reply):
    assert said(text, SUMMER) == reply


def test_the_date_there():
    assert said("What's the date in Tokyo?", EVENING) == "In Tokyo it's Thursday, December 3rd."
    assert said("What's the date and time in Tokyo?", EVENING) == (
        "In Tokyo it's 5:30 AM on Thursday, December 3rd.")


def test_an_unknown_place_gets_an_honest_answer_not_a_guess():
    assert said("What time is it in Atlantis?") == "I don't know the time zone of Atlantis."
    assert said("What time is it in America?") == (
        "America has several time zones. Name a city, like New York or Los Angeles.")


def test_where_timers_cannot_ring_they_are_not_set_and_it_says_so():
    skills = skills_at(WINTER, timers_elsewhere="Nothing here rings.")
    for text in ("Set a timer for ten minutes", "Wake me at 7 am", "How much time is left?",
                 "Cancel my timer", "Set a timer"):
        reply = answer(skills, text)
        assert reply.skill == "timer" and reply.text == "Nothing here rings.", text
    assert skills.board.active() == []
    assert answer(skills, "What time is it?").text == "It's 2:05 PM."


def test_answer_does_the_action_and_respects_the_setting():
    skills = skills_at(WINTER)
    assert answer(skills, "Set a timer for ten minutes").text.startswith("OK, a 10 minute timer")
    assert [t.seconds for t in skills.board.active()] == [600]
    assert answer(skills, "Say that again").text.startswith("OK, a 10 minute timer")
    assert answer(skills, "What time is it?", enabled=False) is None
    assert answer(None, "What time is it?") is None
    assert answer(skills, "What is the capital of France?") is None
