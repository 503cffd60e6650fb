"""What a consumer may show of the conversation loop's events: the one rule for every window,
page and client (the desktop window through ui/bridge.py, the local API through
assistant/server/event_json.py).

The loop starts a reply speculatively at a short pause, before the turn is known to be over.
Its reports (tokens, chunks, playback) are published as they are made, under the reply's
generation, before anyone knows whether the reply will be the answer. `ShownEvents` takes the
loop's events in the order they were published and gives back, in order, the ones that may be
shown:

- `ReplyStarted` passes. If it is speculative, the reply's reports are held from then on.
- `ReplyCommitted` passes, then the held reports follow it, in the order they came: a
  consumer learns that the reply is the answer before it sees any of its words.
- `ReplyDiscarded` passes; the held reports are dropped, and so is every later report of that
  generation. None of the discarded reply's words ever comes out.
- `ReplyCutOff` passes; reports still held (a speculative reply stopped before it was
  committed, so never heard) are dropped, and so is every later report of that generation.
- A reply's report of another generation than the newest reply started is stale (the loop
  has moved on from it): dropped.
- Everything else passes as it came (transcripts, status, turns, notices, timers).

Pure: no threads, no clock. One instance per stream of events, fed from one thread.
"""

from __future__ import annotations

from assistant import events as ev

# what a reply produces, under its generation: held while the reply is speculative
REPLY_REPORTS = (ev.LlmToken, ev.LlmFinished, ev.TextChunk, ev.AudioChunk, ev.PlaybackStarted,
                 ev.ChunkPlaybackStarted, ev.PlaybackFinished)

OPEN, HELD, CLOSED = "open", "held", "closed"


class ShownEvents:
    """`feed(event) -> list[Event]`: the events that may be shown now, in order."""

    def __init__(self) -> None:
        self.generation: int | None = None  # the newest reply started
        self.state = OPEN  # of that reply: open (shown), held (speculative), closed
        self.held: list[ev.Event] = []

    def feed(self, event: ev.Event) -> list[ev.Event]:
        if isinstance(event, ev.ReplyStarted):
            # a generation at or below the newest is a new conversation's counter (the app
            # builds a new loop when settings change): it starts afresh as well
            self.generation = event.generation
            self.state = HELD if event.speculative else OPEN
            self.held = []
            return [event]
        if isinstance(event, ev.ReplyCommitted):
            if event.generation != self.generation or self.state == CLOSED:
                return []  # a reply already gone: there is nothing to let out
            released, self.held, self.state = self.held, [], OPEN
            return [event, *released]
        if isinstance(event, (ev.ReplyDiscarded, ev.ReplyCutOff)):
            if event.generation == self.generation:
                self.held, self.state = [], CLOSED
            return [event]
        if isinstance(event, REPLY_REPORTS):
            return self._report(event)
        return [event]

    def _report(self, event: ev.Event) -> list[ev.Event]:
        if self.generation is None:
            return [event]  # no reply was announced on this stream: nothing to judge it by
        if event.generation != self.generation:
            return []  # stale: from a reply that another has replaced
        if self.state == HELD:
            self.held.append(event)
            return []
        if self.state == CLOSED:
            return []  # after its reply was discarded or cut off
        return [event]
