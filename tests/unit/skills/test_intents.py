"""The skills' reading of transcripts: numbers as digits or words, units, times of day, and
which requests are skills at all (the rest goes to the language model)."""

from __future__ import annotations

from datetime import datetime

import pytest

from assistant.skills.intents import (
    AskHowLong, CancelTimers, SayAgain, SetAlarm, SetTimer, StopTalking, TellDate, TellTime,
    TimersLeft, understand,
)
from assistant.skills.normalize import normalize
from assistant.skills.quantities import (
    duration_label, next_occurrence, parse_clock_time, parse_duration, say_clock, say_date,
    say_duration,
)


@pytest.mark.parametrize("text, normal", [
    ("Set a ten-minute timer, please.", "set a 10 minute timer please"),
    ("Wake me at 7.30 a.m.", "wake me at 7:30 am"),
    ("Set a timer for one minute and thirty seconds", "set a timer for 1 minute and 30 seconds"),
    ("Timer, 10 mins.", "timer 10 minutes"),
    ("wait a second", "wait a second"),  # not the ordinal "2nd"
    ("Seven o'clock", "7 oclock"),
    ("Set a timer for 2.5 minutes.", "set a timer for 2.5 minutes"),
])
def test_normalize_writes_numbers_and_units_one_way(text, normal):
    assert normalize(text) == normal


@pytest.mark.parametrize("text, seconds", [
    ("set a timer for ten minutes", 600), ("ten minute timer", 600),
    ("a timer for one and a half minutes", 90), ("an hour and a half", 5400),
    ("half an hour", 1800), ("a couple of minutes", 120), ("ninety seconds", 90),
    ("two hours and fifteen minutes", 8100), ("2 minutes and 30 seconds", 150),
    ("set a timer for to minutes", 120),  # "two", misheard
    ("a minute", 60), ("2.5 minutes", 150), ("a quarter of an hour", 900),
])
def test_durations_in_words_or_digits(text, seconds):
    assert parse_duration(normalize(text)) == seconds


@pytest.mark.parametrize("text", ["set a timer for 5", "what is the capital of France", ""])
def test_no_duration_where_none_is_named(text):
    assert parse_duration(normalize(text)) is None


@pytest.mark.parametrize("text, expected", [
    ("wake me at 7.30 a.m.", (7, 30, True)), ("alarm at six forty five pm", (18, 45, True)),
    ("alarm for 7", (7, 0, False)), ("quarter to eight in the morning", (7, 45, True)),
    ("half past six", (6, 30, False)), ("alarm at noon", (12, 0, True)),
    ("alarm for 19:15", (19, 15, True)), ("7 o'clock tonight", (19, 0, True)),
    ("set an alarm for 730 in the morning", (7, 30, True)), ("alarm at 1145 pm", (23, 45, True)),
])
def test_times_of_day(text, expected):
    assert parse_clock_time(normalize(text)) == expected


def test_a_duration_is_not_a_time_of_day():
    assert parse_clock_time(normalize("set an alarm in 10 minutes")) is None


def test_an_unsure_hour_is_the_sooner_of_morning_and_evening():
    afternoon = datetime(2026, 12, 2, 14, 5)
    assert next_occurrence(afternoon, 7, 0, sure=False) == datetime(2026, 12, 2, 19, 0)
    assert next_occurrence(afternoon, 7, 0, sure=True) == datetime(2026, 12, 3, 7, 0)
    assert next_occurrence(afternoon, 14, 5, sure=True) == datetime(2026, 12, 3, 14, 5)


def test_saying_durations_times_and_dates():
    assert say_duration(272) == "4 minutes and 32 seconds"
    assert say_duration(659) == "11 minutes"  # what is left: rounded as a person would
    assert say_duration(659, exact=True) == "10 minutes and 59 seconds"
    assert say_duration(1) == "1 second" and say_duration(0) == "0 seconds"
    assert duration_label(600) == "10 minute" and duration_label(90) == "90 second"
    assert duration_label(60) == "1 minute" and duration_label(5400) == "1 hour and 30 minute"
    assert say_clock(datetime(2026, 1, 1, 15, 5)) == "3:05 PM"
    assert say_clock(datetime(2026, 1, 1, 0, 0)) == "midnight"
    assert say_clock(datetime(2026, 1, 1, 9, 0)) == "9 AM"
    assert say_date(datetime(2026, 12, 2)) == "Wednesday, December 2nd"
    assert say_date(datetime(2026, 12, 11)) == "Friday, December 11th"


@pytest.mark.parametrize("text, intent", [
    ("What time is it?", TellTime()), ("Can you tell me what time it is?", TellTime()),
    ("What's the time now, please?", TellTime()), ("What's the date today?", TellDate()),
    ("What day is it?", TellDate()), ("What's the date and time?", TellTime(with_date=True)),
    ("Stop.", StopTalking()), ("OK, stop.", StopTalking()), ("Be quiet!", StopTalking()),
    ("Stop talking please", StopTalking()), ("Never mind.", StopTalking()),
    ("Say that again?", SayAgain()), ("Sorry?", SayAgain()), ("Could you repeat that?", SayAgain()),
    ("Set a timer for ten minutes.", SetTimer(600)), ("Ten minute timer.", SetTimer(600)),
    ("Set a timer for 10 minutes.", SetTimer(600)), ("timer for ninety seconds", SetTimer(90)),
    ("Set a pasta timer for 10 minutes", SetTimer(600, label="pasta")),
    ("Set a timer for 10 minutes for the pasta", SetTimer(600, label="pasta")),
    ("I need a three minute timer for my tea", SetTimer(180, label="tea")),
    ("Remind me in 5 minutes", SetTimer(300, label="reminder")),
    ("Set an alarm in 10 minutes", SetTimer(600, kind="alarm")),
    ("Wake me up at 7:30 a.m.", SetAlarm(7, 30, True)), ("Set an alarm for seven", SetAlarm(7, 0, False)),
    ("Start at Tyler for 90 seconds, please.", SetTimer(90)),  # as Whisper heard "a timer"
    ("Set one for 10 minutes", SetTimer(600)),
    ("Set a timer.", AskHowLong("timer")), ("Set a timer for 5", AskHowLong("timer")),
])
def test_requests_the_skills_take(text, intent):
    assert understand(text) == intent


def test_questions_and_cancels_name_which_timers():
    left = understand("How long is left on the egg timer?")
    assert isinstance(left, TimersLeft) and left.which.label == "egg"
    assert isinstance(understand("How much time is left?"), TimersLeft)
    every = understand("What timers do I have?")
    assert isinstance(every, TimersLeft) and every.which.every and every.which.label == ""
    one = understand("Cancel the five minute timer.")
    assert isinstance(one, CancelTimers) and one.which.seconds == 300 and one.which.kind == "timer"
    assert understand("Cancel all timers").which.every
    assert understand("Stop the pasta timer").which.label == "pasta"  # a cancel, not a stop
    assert understand("Cancel my alarm").which.kind == "alarm"
    assert isinstance(understand("Can't solve the alarm"), CancelTimers)  # as Whisper heard it


@pytest.mark.parametrize("text", [
    "What is the capital of France?", "How long is a marathon?",
    "Tell me about time travel", "What is a timer?", "Could you stop talking about the weather "
    "and tell me a joke?", "What's the weather like?", "Top.", "I don't know what to cook.",
    "Why do we have daylight saving time?", "What should I do today?",
    "Set the table for 2 people", "Start thinking for a minute about dinner ideas",
])
def test_what_the_language_model_answers(text):
    assert understand(text) is None


def test_the_reply_eval_prompts_are_left_to_the_language_model():
    from assistant.evaluation.reply_prompts import CASES

    said = [text if isinstance(text, str) else text[0]
            for case in CASES for text in [*case.get("before", []), case["say"]]]
    assert len(said) > 60
    assert [text for text in said if understand(text) is not None] == []


def test_a_stop_that_opens_a_request_gives_way_to_it():
    from assistant.skills.intents import after_stop

    assert after_stop("Stop. What time is it in Tokyo?") == "What time is it in Tokyo?"
    assert after_stop("stop what time is it in tokyo") == "what time is it in tokyo"  # Vosk
    assert after_stop("Wait, tell me about cats instead.") == "tell me about cats instead."
    assert after_stop("No, stop. Tell me about dogs.") == "Tell me about dogs."
    assert after_stop("Stop, stop, stop. Can you tell me a joke?") == "Can you tell me a joke?"
    assert after_stop("Stop and just tell me the weather.") == "just tell me the weather."


def test_a_stop_alone_or_a_request_with_stop_in_it_stays_what_it_is():
    from assistant.skills.intents import after_stop

    for text in ("stop", "Stop it.", "Stop it now.", "Stop! What?", "Stop talking please.",
                 "Stop the timer.", "Wait for me at the station.",
                 "Stopping by woods on a snowy evening", "I said stop. What time is it?"):
        assert after_stop(text) is None, text
