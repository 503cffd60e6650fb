"""The skills' table of replies: every intent `understand` can return has its handler."""

from __future__ import annotations

from assistant.clock import ManualClock
from assistant.skills import intents
from assistant.skills.skills import HANDLERS, SkillReply, Skills
from assistant.skills.timers import TimerBoard


def every_intent() -> set[type]:
    found, todo = set(), [intents.Intent]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return found


def test_every_intent_has_a_handler_and_every_handler_an_intent():
    assert set(HANDLERS) == every_intent()
    assert all(callable(handler) for handler in HANDLERS.values())


def test_a_request_gets_the_reply_of_its_intent():
    skills = Skills(TimerBoard(ManualClock(), wall=lambda: 1_796_220_300.0))
    for text, skill in [("What time is it?", "time"), ("What's the date?", "date"),
                        ("Stop", "stop"), ("Say that again", "again"),
                        ("Set a timer", "timer"), ("Set a timer for 5 minutes", "timer"),
                        ("Set an alarm for 7 a.m.", "alarm"), ("How much time is left?", "timers"),
                        ("Cancel my timer", "cancel")]:
        reply = skills.reply_for(text)
        assert isinstance(reply, SkillReply) and reply.skill == skill, text
