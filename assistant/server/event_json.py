"""The conversation's events as the WebSocket's JSON messages (docs/API.md lists them).
Times are ms on the connection's timeline (0: when the conversation started)."""

from __future__ import annotations

from assistant import events as ev
from assistant.clock import NS_PER_MS


def event_message(event: ev.Event, t0_ns: int) -> dict | None:
    """The message for `event`, or None for one a client has no use for."""

    def at(t_ns: int | None) -> float | None:
        return None if t_ns is None else round((t_ns - t0_ns) / NS_PER_MS, 1)

    base = {"turn_id": event.turn_id, "t_ms": at(event.t_ns)}
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
