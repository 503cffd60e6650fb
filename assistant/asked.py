"""Questions the app asks once: the answers, kept in `asked.json` in the config folder.

An offer the person answered ("Download", "Not now", or closing it) is not made again. The
key names the offer and what it offered (`stronger-llm:qwen2.5-0.5b-instruct-q4_k_m`), so a
different offer later is a new question. An unreadable file counts as no answers.
"""

from __future__ import annotations

from pathlib import Path

from assistant import paths
from assistant.json_file import Unreadable, read_json, write_json


def default_path() -> Path:
    return paths.config_dir() / "asked.json"


class AskedOnce:
    """The answers by key; reads the file on each call, so windows and tests share it."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path is not None else default_path()

    def answers(self) -> dict[str, str]:
        try:
            data = read_json(self.path, "answers file", default={})
        except Unreadable:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def answered(self, key: str) -> bool:
        return key in self.answers()

    def remember(self, key: str, answer: str) -> None:
        """Keep the answer; a failure to write is logged (the offer may then come again)."""
        answers = self.answers()
        answers[key] = answer
        write_json(self.path, answers, "answers to the offers")
