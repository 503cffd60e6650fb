"""The language model: llama.cpp chat streaming, the chat history and context trimming.

`LlmEngine` (engine.py) streams a reply token by token from any GGUF; `ChatHistory`
(history.py) keeps the conversation and trims it to the context. Importing this package does
not import llama_cpp; `LlmEngine.start()` does.
"""

from __future__ import annotations

from pathlib import Path

from assistant.errors import ModelError
from assistant.llm.engine import LlmEngine
from assistant.llm.history import ChatHistory, HistoryTurn

__all__ = ["ChatHistory", "HistoryTurn", "LlmEngine", "resolve_llm_model"]


def resolve_llm_model(id_or_path: str, model_manager=None) -> Path:
    """The .gguf file for a catalog id or a path (through `assistant.modelstore.manager.ModelManager`
    when it is available; a plain path works without it). Raises ModelError if missing."""
    value = (id_or_path or "").strip()
    path = Path(value).expanduser()
    if model_manager is None:
        try:
            from assistant.modelstore.manager import ModelManager

            model_manager = ModelManager()
        except ImportError:
            model_manager = None
    if model_manager is not None:
        resolved = Path(model_manager.resolve("llm-gguf", value))
        if resolved.is_dir():
            found = sorted(resolved.glob("*.gguf"))
            if found:
                return found[0]
        return resolved
    if path.exists():
        return path
    raise ModelError(f"The LLM model {value!r} is not installed; give the path of a .gguf "
                     "file with --llm-model.")
