"""The conversation's events as the WebSocket's JSON messages (docs/API.md lists them).
Times are ms on the connection's timeline (0: when the conversation started).

`ConversationJson` is what a connection sends: the loop's events go through
`assistant.shown_events.ShownEvents` first (the rule the window shares), so a speculative
reply's `reply_chunk`s are sent only after its `reply_committed`, and never when it is
discarded or stale."""

from __future__ import annotations

from assistant import events as ev
from assistant.clock import NS_PER_MS
from assistant.shown_events import ShownEvents


class ConversationJson:
    """`feed(event) -> list[dict]`: the messages to send for one loop event, in order, from
    one thread (the conversation's observers)."""

    def __init__(self, t0_ns: int = 0):
        self.t0_ns = t0_ns  # the connection's time 0
        self.shown = ShownEvents()

    def feed(self, event: ev.Event) -> list[dict]:
        messages = (event_message(shown, self.t0_ns) for shown in self.shown.feed(event))
        return [message for message in messages if message is not None]


def event_message(event: ev.Event, t0_ns: int) -> dict | None:
    """The message for `event`, or None for one a client has no use for. It does not judge
    whether the event may be shown: `ConversationJson` does, before it asks."""

    def at(t_ns: int | None) -> float | None:
        return None if t_ns is None else round((t_ns - t0_ns) / NS_PER_MS, 1)

    base = {"turn_id": event.turn_id, "generation": event.generation, "t_ms": at(event.t_ns)}
    if isinstance(event, ev.TurnOpened):
        return {"type": "turn_opened", **base, "source": event.source}
    if isinstance(event, ev.ReplyStarted):
        return {"type": "reply_opened", **base, "text": event.text,
                "speculative": event.speculative}
    if isinstance(event, ev.ReplyCommitted):
        return {"type": "reply_committed", **base}
    if isinstance(event, ev.ReplyDiscarded):
        return {"type": "reply_discarded", **base}
    if isinstance(event, ev.ReplyCutOff):
        return {"type": "reply_cut_off", **base, "reason": event.reason,
                "silent_ms": at(event.t_silent_ns or None)}
    if isinstance(event, ev.SpeechStarted):
        return {"type": "speech_started", **base, "onset_ms": at(event.t_onset_ns)}
    if isinstance(event, ev.SpeechEnded):
        return {"type": "speech_ended", **base, "end_ms": at(event.t_true_end_ns),
                "reason": event.reason}
    if isinstance(event, ev.PartialTranscript):
        return {"type": "partial", **base, "text": event.text, "stable_text": event.stable_text}
    if isinstance(event, ev.FinalTranscript):
        return {"type": "final", **base, "text": event.text, "engine": event.engine}
    if isinstance(event, ev.TextChunk):
        return {"type": "reply_chunk", **base, "index": event.index, "text": event.text}
    if isinstance(event, ev.ChunkPlaybackStarted):
        return {"type": "chunk_playing", **base, "index": event.chunk_index}
    if isinstance(event, ev.PlaybackStarted):
        return {"type": "reply_started", **base}
    if isinstance(event, ev.BargeIn):
        return {"type": "barge_in", **base, "onset_ms": at(event.t_onset_ns),
                "silent_ms": at(event.t_silent_ns)}
    if isinstance(event, ev.StatusChanged):
        return {"type": "status", **base, "state": event.state, "detail": event.detail}
    if isinstance(event, ev.Notice):
        return {"type": "notice", **base, "level": event.level, "message": event.message}
    if isinstance(event, ev.TurnCompleted):
        return {"type": "turn", **base, "user_text": event.user_text,
                "reply_text": event.reply_text, "interrupted": event.interrupted,
                "metrics": event.metrics}
    if isinstance(event, ev.TimerRinging):
        return {"type": "timer_ringing", **base, "text": event.text}
    if isinstance(event, ev.TimersChanged):
        return {"type": "timers", **base,
                "timers": [{"id": t.timer_id, "kind": t.kind, "name": t.name,
                            "due_unix_s": round(t.due_epoch_s, 3)}
                           for t in event.timers]}
    return None
