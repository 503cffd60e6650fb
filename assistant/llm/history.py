"""The conversation so far, trimmed to fit the model's context.

The pipeline adds turns itself, after the fact, because only it knows what was actually
played: an interrupted reply goes in as the part the user heard, marked interrupted. The LLM
never writes to the history.

`messages_for(user_text)` builds what the next request sends: the system prompt, as many of
the latest turns as fit, and the new user text (not recorded; add it with `add_user` or
`add_exchange` once the turn is over). Token counts come from the model's own tokenizer when
one is given, plus a fixed allowance per message for the chat template's markers.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

from assistant.llm.reply_tidy import tidy_reply

MESSAGE_OVERHEAD_TOKENS = 8  # "<|im_start|>assistant\n ... <|im_end|>\n" and the like
MAX_STORED_TURNS = 400
TRIM_TO = 0.6  # when the history no longer fits, keep this share of the room


def rough_token_count(text: str) -> int:
    """Without a tokenizer: about four characters per token, rounded up."""
    return -(-len(text) // 4)


@dataclass(frozen=True)
class HistoryTurn:
    role: str  # "user" or "assistant"
    text: str
    interrupted: bool = False


class ChatHistory:
    def __init__(self, system_prompt: str, context_size: int = 2048, reserve_tokens: int = 200,
                 count_tokens: Callable[[str], int] | None = None):
        """`reserve_tokens` is left free for the reply (the LLM's max_tokens)."""
        self.system_prompt = system_prompt
        self.context_size = context_size
        self.reserve_tokens = reserve_tokens
        self.count_tokens = count_tokens or rough_token_count
        self._turns: list[HistoryTurn] = []
        self._lock = threading.Lock()
        # Turns before this index are no longer sent. It only moves forward, and in big
        # steps: the prompt keeps one prefix for many turns, which llama.cpp reuses, instead
        # of shifting by one exchange (and being evaluated anew in full) every turn.
        self._first_sent = 0

    # --- recording ------------------------------------------------------------------------

    def add_user(self, text: str) -> None:
        self._add(HistoryTurn("user", text.strip()))

    def add_assistant(self, text: str, interrupted: bool = False) -> None:
        """The reply as played (tidied: a loop or markup is not fed back, see reply_tidy.py).
        An interrupted reply that was not heard at all is kept in the record but sends
        nothing to the model."""
        self._add(HistoryTurn("assistant", tidy_reply(text), interrupted))

    def add_exchange(self, user_text: str, reply_text: str, interrupted: bool = False) -> None:
        with self._lock:
            self._turns.append(HistoryTurn("user", user_text.strip()))
            self._turns.append(HistoryTurn("assistant", tidy_reply(reply_text), interrupted))
            self._forget_oldest()

    def retract_exchange(self, user_text: str) -> bool:
        """Take back the latest exchange if it began with `user_text` (a turn the user went
        on with after a pause: it is asked again as a whole). False when it is not there."""
        with self._lock:
            if (len(self._turns) >= 2 and self._turns[-2].role == "user"
                    and self._turns[-2].text == user_text.strip()
                    and self._turns[-1].role == "assistant"):
                del self._turns[-2:]
                self._first_sent = min(self._first_sent, len(self._turns))
                return True
            return False

    def _add(self, turn: HistoryTurn) -> None:
        with self._lock:
            self._turns.append(turn)
            self._forget_oldest()

    def _forget_oldest(self) -> None:
        extra = len(self._turns) - MAX_STORED_TURNS
        if extra > 0:
            del self._turns[:extra]
            self._first_sent = max(0, self._first_sent - extra)

    def clear(self) -> None:
        with self._lock:
            self._turns.clear()
            self._first_sent = 0

    @property
    def turns(self) -> list[HistoryTurn]:
        with self._lock:
            return list(self._turns)

    def __len__(self) -> int:
        return len(self._turns)

    # --- building requests ----------------------------------------------------------------

    def messages(self) -> list[dict]:
        """System prompt plus the latest turns that fit (nothing new from the user)."""
        return self._build(None)

    def messages_for(self, user_text: str) -> list[dict]:
        """What to send for a new user text: system, the latest turns that fit, the text."""
        return self._build(user_text.strip())

    def message_tokens(self, message: dict) -> int:
        return self.count_tokens(message["content"]) + MESSAGE_OVERHEAD_TOKENS

    def _build(self, user_text: str | None) -> list[dict]:
        system = {"role": "system", "content": self.system_prompt}
        budget = self.context_size - self.reserve_tokens - self.message_tokens(system)
        tail: list[dict] = []
        if user_text is not None:
            user = {"role": "user", "content": self._fit(user_text, budget)}
            budget -= self.message_tokens(user)
            tail.append(user)
        with self._lock:
            turns, first = list(self._turns), self._first_sent
        candidates = [(i, m) for i, m in ((i, self._as_message(t)) for i, t in enumerate(turns))
                      if i >= first and m is not None]
        costs = [self.message_tokens(m) for _i, m in candidates]
        total = sum(costs)
        if total > budget:  # full: drop the oldest down to TRIM_TO of the room, at once
            target = budget * TRIM_TO
            while candidates and total > target:
                first = candidates.pop(0)[0] + 1
                total -= costs.pop(0)
            with self._lock:
                self._first_sent = max(self._first_sent, first)
        kept = [m for _i, m in candidates]
        while kept and kept[0]["role"] != "user":  # never open on half an exchange
            kept.pop(0)
        return [system, *kept, *tail]

    @staticmethod
    def _as_message(turn: HistoryTurn) -> dict | None:
        if not turn.text:
            return None
        text = turn.text
        if turn.interrupted:
            text = text.rstrip(" .,;:") + "..."  # the model sees that it was cut off
        return {"role": turn.role, "content": text}

    def _fit(self, text: str, budget: int) -> str:
        """A user text longer than the whole context keeps its end (the latest words)."""
        while text and self.count_tokens(text) + MESSAGE_OVERHEAD_TOKENS > budget:
            text = text[max(1, len(text) // 4) :].lstrip()
        return text
