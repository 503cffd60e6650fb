"""The chat history: what goes to the model, and what is dropped when the context is full."""

from __future__ import annotations

from assistant.llm.history import MESSAGE_OVERHEAD_TOKENS, ChatHistory


def words(text: str) -> int:
    return len(text.split())


def _history(context=100, reserve=20) -> ChatHistory:
    return ChatHistory("You are brief.", context_size=context, reserve_tokens=reserve,
                       count_tokens=words)


def test_new_request_is_system_then_turns_then_user():
    history = _history()
    history.add_exchange("hi there", "hello")
    messages = history.messages_for("how are you")
    assert messages == [
        {"role": "system", "content": "You are brief."},
        {"role": "user", "content": "hi there"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "how are you"},
    ]
    assert len(history) == 2  # the new text is not recorded by messages_for


def test_trimming_keeps_system_and_latest_turns_within_budget():
    history = _history(context=100, reserve=20)
    for i in range(30):
        history.add_exchange(f"question number {i}", f"answer number {i}")
    messages = history.messages_for("last question")
    assert messages[0]["role"] == "system"
    assert messages[-1] == {"role": "user", "content": "last question"}
    assert messages[-2] == {"role": "assistant", "content": "answer number 29"}
    assert messages[1]["role"] == "user"  # never opens on half an exchange
    used = sum(words(m["content"]) + MESSAGE_OVERHEAD_TOKENS for m in messages)
    assert used <= 100 - 20
    assert len(messages) < 62  # older turns were dropped
    kept = [m["content"] for m in messages[1:-1]]
    assert kept == sorted(kept, key=lambda t: int(t.split()[-1]))  # in order, the latest ones


def test_reserve_for_the_reply_is_respected():
    roomy = _history(context=200, reserve=10)
    tight = _history(context=200, reserve=150)
    for h in (roomy, tight):
        for i in range(20):
            h.add_exchange(f"q {i}", f"a {i}")
    assert len(tight.messages_for("x")) < len(roomy.messages_for("x"))


def test_interrupted_reply_is_kept_as_played_and_marked():
    history = _history()
    history.add_user("tell me a story")
    history.add_assistant("Once upon a time, there was", interrupted=True)
    turns = history.turns
    assert turns[-1].interrupted and turns[-1].text == "Once upon a time, there was"
    assert history.messages()[-1] == {"role": "assistant", "content": "Once upon a time, there was..."}


def test_reply_interrupted_before_any_audio_sends_nothing():
    history = _history()
    history.add_exchange("tell me a story", "", interrupted=True)
    assert [m["role"] for m in history.messages_for("stop")] == ["system", "user", "user"]


def test_user_text_longer_than_the_context_keeps_its_end():
    history = _history(context=60, reserve=10)
    text = " ".join(f"w{i}" for i in range(200))
    content = history.messages_for(text)[-1]["content"]
    assert content.endswith("w199") and words(content) <= 60 - 10
    assert len(history.messages_for(text)) == 2


def test_default_counter_works_without_a_model():
    history = ChatHistory("sys", context_size=256, reserve_tokens=64)
    for i in range(100):
        history.add_exchange("a fairly long question " * 3, "a fairly long answer " * 3)
    assert 3 <= len(history.messages_for("q")) < 40


def test_clear():
    history = _history()
    history.add_exchange("a", "b")
    history.clear()
    assert history.messages() == [{"role": "system", "content": "You are brief."}]


def test_a_full_history_is_trimmed_in_steps_that_keep_the_prompt_prefix():
    from assistant.llm.history import ChatHistory

    history = ChatHistory("Be brief.", context_size=400, reserve_tokens=50)
    firsts = []
    for n in range(60):
        history.add_exchange(f"question number {n} " * 3, f"answer number {n} " * 3)
        messages = history.messages_for("next")
        firsts.append(messages[1]["content"])
        assert messages[0]["content"] == "Be brief." and messages[-1]["content"] == "next"
        assert messages[1]["role"] == "user"
        total = sum(history.message_tokens(m) for m in messages)
        assert total <= 400 - 50
    # the oldest message sent changes only now and then, not on every turn
    changes = sum(1 for a, b in zip(firsts, firsts[1:]) if a != b)
    assert 1 <= changes <= len(firsts) // 3
    assert "answer number 59" in history.messages()[-1]["content"]


def test_a_continued_exchange_is_taken_back_only_if_it_is_the_latest():
    history = _history()
    history.add_exchange("hi there", "hello")
    history.add_exchange("what is the", "The", interrupted=True)
    assert not history.retract_exchange("hi there")  # not the latest: kept
    assert history.retract_exchange("what is the")
    assert history.messages_for("what is the weather")[1:] == [
        {"role": "user", "content": "hi there"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": "what is the weather"},
    ]
    assert not history.retract_exchange("what is the")  # already gone


def test_a_garbled_reply_is_kept_only_up_to_where_it_loops():
    from assistant.llm.reply_tidy import tidy_reply

    history = ChatHistory("Be brief.")
    history.add_exchange("tell me about yourself", "I'm sorry for any mistakes. I'm sorry for "
                         "any mistakes. I'm sorry for any mistakes.")
    history.add_exchange("can you help", "I'll just make it slightly different: I'll just make "
                         "it slightly different.")
    history.add_exchange("what should i pack", "**Packing:** - socks - shirts")
    replies = [m["content"] for m in history.messages() if m["role"] == "assistant"]
    assert replies == ["I'm sorry for any mistakes.", "I'll just make it slightly different.",
                       "Packing: - socks - shirts"]
    clean = "The capital of France is Paris. It is lovely in spring."
    assert tidy_reply(clean) == clean  # kept exactly: the next prompt shares the cache prefix
    assert tidy_reply("") == ""
