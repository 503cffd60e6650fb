"""Reply quality, scored automatically: the cases of reply_prompts.py through the same
responder the conversation loop uses (its sentence budget, its cut at the token limit) with
the real LLM, each conversation with a fresh history kept as the app keeps it.

Per reply: the expected fact present (fact and follow-up cases that have one), a word 4-gram
repeated within it, the sentence budget kept, markdown or emoji in it, the user's words
parroted back, the time to its first token. Over the run: replies that are identical for
different prompts. `score_reply` and `identical_replies` are plain functions (tests use
them); `run_eval` needs a started LlmEngine.
"""

from __future__ import annotations

import re
import time
from collections import Counter

from assistant.metrics import percentile

MARKUP = re.compile(r"[*_#`|<>\[\]{}~]|^\s*[-+]\s|^\s*\d+\.\s|https?://", re.MULTILINE)
EMOJI = re.compile("[\U0001F300-\U0001FAFF\U00002600-\U000027BF\U0001F000-\U0001F2FF]")


def words_of(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("-", " "))


def has_phrase(text: str, phrase: str) -> bool:
    """`phrase` in `text` as whole words, case and punctuation aside."""
    want, have = words_of(phrase), words_of(text)
    return any(have[i:i + len(want)] == want for i in range(len(have) - len(want) + 1))


def fact_present(reply: str, expect: list[list[str]]) -> bool:
    return all(any(has_phrase(reply, option) for option in group) for group in expect)


def repeated_4grams(reply: str) -> int:
    """How many word 4-grams occur more than once in the reply."""
    words = words_of(reply)
    grams = Counter(tuple(words[i:i + 4]) for i in range(len(words) - 3))
    return sum(1 for count in grams.values() if count > 1)


def sentence_count(reply: str) -> int:
    from assistant.conversation.responder import SentenceCounter

    text = reply.strip()
    counter = SentenceCounter()
    counter.feed(text + " ")
    unfinished = bool(text) and text[-1] not in ".!?"  # a last sentence without its stop
    return counter.count + unfinished


def parrots(user: str, reply: str) -> bool:
    """The reply says the user's words back: a run of at least three of them, covering at
    least 80 % of what the user said, appears in the reply word for word (an answer may
    take up the question's frame: "the capital of France is Paris")."""
    said, heard = words_of(user), words_of(reply)
    if len(said) < 3:
        return False
    longest = 0
    for i in range(len(said)):
        for j in range(len(heard)):
            n = 0
            while i + n < len(said) and j + n < len(heard) and said[i + n] == heard[j + n]:
                n += 1
            longest = max(longest, n)
    return longest >= 3 and longest >= 0.8 * len(said)


def score_reply(case: dict, reply: str, budget: int) -> dict:
    expect = case.get("expect")
    return {
        "fact": fact_present(reply, expect) if expect else None,
        "repeated_4grams": repeated_4grams(reply),
        "sentences": sentence_count(reply),
        "within_budget": budget == 0 or sentence_count(reply) <= budget,
        "markup": bool(MARKUP.search(reply) or EMOJI.search(reply)),
        "parrot": parrots(case["say"], reply),
        "empty": not reply.strip(),
    }


def identical_replies(rows: list[dict]) -> int:
    """Replies (as words) given to more than one different prompt, counted per reply."""
    prompts: dict[tuple, set] = {}
    for row in rows:
        key = tuple(words_of(row["reply"]))
        if key:
            prompts.setdefault(key, set()).add(row["say"])
    return sum(1 for said in prompts.values() if len(said) > 1)


def reply_once(llm, messages: list[dict], budget: int) -> tuple[str, float | None]:
    """One reply through the loop's responder: its text and ms to the first token."""
    from assistant.clock import DEFAULT_CLOCK
    from assistant.conversation.responder import ReplyRequest, Responder
    from assistant.conversation.wiring import make_chunker
    from assistant.events import LlmFinished, LlmToken

    responder = Responder(llm, make_chunker, DEFAULT_CLOCK, lambda generation: True)
    began, first_ms, text = time.perf_counter(), None, ""
    for event in responder.process(ReplyRequest(0, 0, messages, max_sentences=budget)):
        if isinstance(event, LlmToken) and first_ms is None:
            first_ms = (time.perf_counter() - began) * 1000
        elif isinstance(event, LlmFinished):
            text = event.text
    return text, first_ms


def run_eval(llm, cases: list[dict], budget: int, progress=None) -> dict:
    rows = []
    for n, case in enumerate(cases, 1):
        history = llm.new_history()
        for earlier in case.get("before", ()):
            if isinstance(earlier, (list, tuple)):  # a reply given: kept as the app keeps it
                history.add_exchange(*earlier)
                continue
            said, _ms = reply_once(llm, history.messages_for(earlier), budget)
            history.add_exchange(earlier, said)
        reply, first_ms = reply_once(llm, history.messages_for(case["say"]), budget)
        row = {"kind": case["kind"], "say": case["say"], "reply": reply,
               "first_token_ms": round(first_ms, 1) if first_ms is not None else None,
               **score_reply(case, reply, budget)}
        rows.append(row)
        if progress is not None:
            progress(n, len(cases), row)
    return {"rows": rows, "summary": summarize(rows)}


def summarize(rows: list[dict]) -> dict:
    facts = [r["fact"] for r in rows if r["fact"] is not None]
    first = [r["first_token_ms"] for r in rows if r["first_token_ms"] is not None]
    n = len(rows)
    return {
        "replies": n,
        "fact_present": round(sum(facts) / len(facts), 3) if facts else None,
        "fact_prompts": len(facts),
        "repetitive": round(sum(1 for r in rows if r["repeated_4grams"]) / n, 3) if n else None,
        "over_budget": sum(1 for r in rows if not r["within_budget"]),
        "markup": sum(1 for r in rows if r["markup"]),
        "parrots": sum(1 for r in rows if r["parrot"]),
        "empty": sum(1 for r in rows if r["empty"]),
        "identical_across_prompts": identical_replies(rows),
        "first_token_ms_p50": round(percentile(first, 50), 1) if first else None,
        "first_token_ms_p95": round(percentile(first, 95), 1) if first else None,
    }


def format_summary(label: str, s: dict) -> str:
    return (f"{label}: facts {s['fact_present']:.0%} of {s['fact_prompts']}, repetitive "
            f"{s['repetitive']:.0%}, identical {s['identical_across_prompts']}, over budget "
            f"{s['over_budget']}, markup {s['markup']}, parrots {s['parrots']}, empty "
            f"{s['empty']}, first token p50 {s['first_token_ms_p50']} p95 "
            f"{s['first_token_ms_p95']} ms ({s['replies']} replies)")
