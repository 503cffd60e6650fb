"""The conversation view as the window feeds it: the loop's events through the event bridge
(and so through `ShownEvents`) into `ConversationView`. A speculative reply that is discarded
never shows a word; the turn's answer does."""

from __future__ import annotations

from assistant.events import LlmToken, ReplyCommitted, ReplyStarted, TurnCompleted
from ui.bridge import EventBridge
from ui.widgets.conversation import ConversationView
from unit.test_shown_events import ANSWER, discarded_speculation, shows_discarded_words


class Window:
    """The window's path for the loop's events: bridge -> view, rendered once per batch (as
    MainWindow.on_events does). Keeps every text a bubble showed, batch after batch."""

    def __init__(self, qtbot):
        self.bridge = EventBridge()
        self.view = ConversationView()
        qtbot.addWidget(self.view)
        self.view.resize(600, 400)
        self.seen: list[str] = []
        self.bridge.delivered.connect(self.on_batch)

    def on_batch(self, batch: list) -> None:
        for event in batch:
            self.view.handle(event)
        self.view.render_dirty()
        for turn in self.view.turns:
            self.seen += [turn.user_label.text(), turn.reply_label.text(), turn.reply.plain()]

    def play(self, events: list, batch: int = 1) -> None:
        """Post the events and hand them on `batch` at a time (1: every state is seen)."""
        for i in range(0, len(events), batch):
            for event in events[i:i + batch]:
                self.bridge.post(event)
            self.bridge.flush()


def test_a_discarded_speculative_reply_never_shows_and_the_answer_does(qtbot):
    stage = discarded_speculation()
    window = Window(qtbot)
    window.play(stage.events)
    assert window.seen, "nothing was drawn"
    assert not [text for text in window.seen if shows_discarded_words(text)]
    [turn] = window.view.turns
    assert turn.user_text == "what time is it in tokyo"
    assert ANSWER in turn.reply.plain() and turn.reply.finished and not turn.reply.interrupted
    assert ANSWER.split()[0] in turn.reply_label.text()


def test_in_batches_as_the_timer_hands_them_on_it_is_the_same(qtbot):
    stage = discarded_speculation()
    window = Window(qtbot)
    window.play(stage.events, batch=7)
    assert not [text for text in window.seen if shows_discarded_words(text)]
    assert ANSWER in window.view.turns[-1].reply.plain()


def test_without_the_bridge_the_same_events_would_show_the_discarded_words(qtbot):
    # why the window must see the loop's events through ShownEvents: the view draws what it
    # is given, and the loop publishes a speculative reply's words before knowing its fate
    stage = discarded_speculation()
    view = ConversationView()
    qtbot.addWidget(view)
    seen = []
    for event in stage.events:
        view.handle(event)
        view.render_dirty()
        seen += [t.reply.plain() for t in view.turns]
    assert any(shows_discarded_words(text) for text in seen)


def test_a_committed_reply_starts_afresh_in_its_turn(qtbot):
    # a reply begins at its ReplyStarted (or, speculative, at its commit): whatever the turn
    # showed before is not part of it
    window = Window(qtbot)
    window.play([
        ReplyStarted(turn_id=3, generation=1, text="hello", speculative=False),
        LlmToken(turn_id=3, generation=1, text="First ", index=0),
        ReplyStarted(turn_id=3, generation=2, text="hello there", speculative=True),
        LlmToken(turn_id=3, generation=2, text="Second ", index=0),
        ReplyCommitted(turn_id=3, generation=2),
        TurnCompleted(turn_id=3, generation=2, user_text="hello there", reply_text="Second",
                      interrupted=False),
    ])
    [turn] = window.view.turns
    assert turn.reply.plain() == "Second" and turn.user_text == "hello there"
