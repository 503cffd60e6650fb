"""The reply-quality eval: its scores on replies written by hand (the failures it exists to
catch), its prompt set, and one short run with the real default LLM."""

from __future__ import annotations

import pytest

from assistant.evaluation.replies import (
    fact_present, identical_replies, parrots, repeated_4grams, run_eval, score_reply,
    sentence_count, summarize,
)
from assistant.evaluation.reply_prompts import CASES


def test_the_prompt_set_covers_every_kind_with_enough_facts():
    kinds = {case["kind"] for case in CASES}
    assert kinds == {"fact", "chat", "follow-up", "cannot"}
    assert len(CASES) >= 60
    assert sum(1 for c in CASES if c.get("expect")) >= 30
    assert all(c.get("before") for c in CASES if c["kind"] == "follow-up")
    assert len({c["say"] for c in CASES if not c.get("before")}) == \
        sum(1 for c in CASES if not c.get("before"))  # no prompt twice


def test_the_expected_fact_is_found_as_whole_words_and_alternatives():
    capital = [["paris"]]
    assert fact_present("The capital of France is Paris.", capital)
    assert not fact_present("Catalina, la Franci.", capital)
    assert not fact_present("It is in Parisville.", capital)  # whole words only
    assert fact_present("A spider has 8 legs.", [["eight", "8"]])
    assert fact_present("Twenty-four hours.", [["twenty four", "24"]])
    assert not fact_present("Paris.", [["paris"], ["france"]])  # every group must match


def test_repetition_markup_budget_and_parroting_are_caught():
    loop = "I'm sorry for any mistakes. I'm sorry for any mistakes. I'm sorry for any mistakes."
    assert repeated_4grams(loop) >= 1
    assert repeated_4grams("The capital of France is Paris. It is a lovely city.") == 0
    assert sentence_count("One. Two! Three? Four") == 4
    assert sentence_count("Dr. Smith is in.") == 1
    case = {"kind": "chat", "say": "he turned sharply and faced gregson across the table"}
    echo = "He turned sharply and faced Gregson across the table. What a scene."
    scores = score_reply(case, echo, budget=2)
    assert scores["parrot"] and scores["within_budget"] and scores["fact"] is None
    assert not parrots("what is the capital of france", "The capital of France is Paris.")
    long = score_reply({"kind": "chat", "say": "hi"}, "A. B. C.", budget=2)
    assert not long["within_budget"]
    assert score_reply({"kind": "chat", "say": "hi"}, "**Hello** there", 2)["markup"]
    assert score_reply({"kind": "chat", "say": "hi"}, "Hello there 😀", 2)["markup"]
    assert score_reply({"kind": "chat", "say": "hi"}, "- one\n- two", 2)["markup"]
    assert not score_reply({"kind": "chat", "say": "hi"}, "Hello, nice to meet you!", 2)["markup"]


def test_identical_replies_to_different_prompts_are_counted_once_each():
    same = "I'll just make it slightly different."
    rows = [{"say": "what time is it", "reply": same},
            {"say": "tell me a joke", "reply": same.upper()},
            {"say": "hi", "reply": "Hello!"},
            {"say": "hi", "reply": "Hello!"}]  # the same prompt twice is not a repeat
    assert identical_replies(rows) == 1


def test_the_summary_gives_rates_over_the_prompts_that_have_them():
    rows = [{"fact": True, "repeated_4grams": 0, "within_budget": True, "markup": False,
             "parrot": False, "empty": False, "say": "a", "reply": "x", "first_token_ms": 40.0},
            {"fact": False, "repeated_4grams": 2, "within_budget": False, "markup": True,
             "parrot": True, "empty": False, "say": "b", "reply": "y", "first_token_ms": 60.0},
            {"fact": None, "repeated_4grams": 0, "within_budget": True, "markup": False,
             "parrot": False, "empty": True, "say": "c", "reply": "", "first_token_ms": None}]
    s = summarize(rows)
    assert s["fact_present"] == 0.5 and s["fact_prompts"] == 2
    assert s["repetitive"] == round(1 / 3, 3) and s["over_budget"] == 1
    assert (s["markup"], s["parrots"], s["empty"]) == (1, 1, 1)
    assert s["first_token_ms_p50"] == 50.0


@pytest.mark.slow
def test_a_short_run_with_the_real_model_scores_every_reply():
    from assistant.config import LlmSettings
    from assistant.llm.engine import LlmEngine
    from tests.responding_helpers import find_default_gguf

    llm = LlmEngine(LlmSettings(temperature=0.0, seed=1), find_default_gguf())
    llm.start()
    try:
        cases = [c for c in CASES if c["say"] in ("what is the capital of france",
                                                   "what is my name", "hi there")]
        result = run_eval(llm, cases, budget=2)
    finally:
        llm.close()
    rows = result["rows"]
    assert [r["say"] for r in rows] == [c["say"] for c in cases]
    assert all(r["reply"].strip() and r["first_token_ms"] > 0 for r in rows)
    assert all(r["within_budget"] for r in rows)  # the responder keeps the budget
    by_prompt = {r["say"]: r for r in rows}
    assert by_prompt["hi there"]["fact"] is None  # chat: scored on form only
    assert by_prompt["what is my name"]["fact"] is not None  # the earlier turn was kept
    assert result["summary"]["replies"] == 3 and result["summary"]["fact_prompts"] == 2
