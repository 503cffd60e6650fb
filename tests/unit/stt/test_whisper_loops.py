"""Whisper's loops cut down to their first pass (whisper_loops.py): what the short and full
windows made of real recordings, and ordinary speech left alone."""

from assistant.stt.whisper_loops import first_pass, without_loop


def test_a_loop_cut_short_gives_its_first_pass():
    # what all three short windows made of a real recording, and a live partial's loop
    assert first_pass("Weasles have eaten our phone system. Weasles have eaten our phone "
                      "system. We") == "Weasles have eaten our phone system."
    assert first_pass("Bobby ripped the ledger. Bobby ripped the ledger. Bobby ripped") == \
        "Bobby ripped the ledger."
    assert first_pass("Weasels Weasels Weasels Weas") == "Weasels"
    # what `transcribe` made of a real clip that ends right after the speech
    assert first_pass("Bobby Ripped the Ledger. Bobby Ripped the Led") == \
        "Bobby Ripped the Ledger."


def test_a_phrase_said_again_whole_gives_one_copy():
    assert first_pass("Damon Fred Omelet. Damon Fred Omelet") == "Damon Fred Omelet."
    assert first_pass("Front, left. Front, left.") == "Front, left."
    assert first_pass("Can you recommend a dot-book? Can you recommend a dot-book?") == \
        "Can you recommend a dot-book?"
    assert first_pass("Thanks Thanks Thanks Thanks Thanks") == "Thanks"
    assert first_pass("I'm sorry. " * 12) == "I'm sorry."


def test_ordinary_speech_is_left_alone():
    for text in ("Go left. Go", "Bye bye.", "Knock knock.", "Thanks. Thanks.",
                 "ask not what your country can do for you ask what you can do",
                 "very very good", "Hello world", "", "that that is is"):
        assert first_pass(text) is None, text
        assert without_loop(text) == text
