"""Any GGUF model through llama-cpp-python, replies streamed token by token.

The chat template is the model's own: llama-cpp-python reads `tokenizer.chat_template` from
the GGUF metadata and renders it with its Jinja2ChatFormatter when no chat_format is forced.
A GGUF without a template would fall back to the llama-2 format, which is wrong for nearly
every small model; ChatML is used instead, the format most instruct models are tuned on.

Cancellation: `cancel()` (any thread) bumps a counter; the stream checks it before yielding
each token, so no token is yielded after `cancel()` returns, and the llama stream is closed
so the next `stream_reply` starts cleanly.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from pathlib import Path
from typing import Iterator

from assistant.clock import DEFAULT_CLOCK, Clock
from assistant.config import LlmSettings
from assistant.errors import ModelError
from assistant.modelstore.gguf import check_gguf
from assistant.llm import reencode
from assistant.llm.native import LlamaThread
from assistant.native_output import captured_stderr
from assistant.llm.history import ChatHistory

log = logging.getLogger(__name__)

FALLBACK_CHAT_FORMAT = "chatml"


def physical_cores() -> int:
    try:
        import psutil

        return max(1, psutil.cpu_count(logical=False) or os.cpu_count() or 1)
    except ImportError:
        return max(1, os.cpu_count() or 1)


class LlmEngine:
    """Stage shape: cheap constructor, `start()` loads and warms the model, `stream_reply`
    yields tokens, `cancel()` from any thread, `close()`."""

    def __init__(self, settings: LlmSettings, model_path: str | Path, clock: Clock = DEFAULT_CLOCK):
        self.settings = settings
        self.model_path = Path(model_path)
        self.clock = clock
        self.chat_format = ""  # "gguf" (the model's template) or the fallback's name
        self.loaded_path: Path | None = None  # the file llama.cpp runs (maybe a faster copy)
        self._llm = None
        self._cancel_count = 0
        self._cancel_lock = threading.Lock()
        self._native = LlamaThread("llm")  # every llama.cpp call runs there (see native.py)

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        if self._llm is None:
            self._native.call(self._start_here)

    def _start_here(self) -> None:
        path = check_gguf(self.model_path)
        try:
            import llama_cpp  # noqa: F401
        except ImportError:
            raise ModelError("llama-cpp-python is not installed; run `make run` or "
                             "pip install llama-cpp-python.") from None
        llm, self.loaded_path = self._load_fastest(path)
        if "tokenizer.chat_template" in llm.metadata:
            self.chat_format = "gguf"
        else:
            llm.chat_format = FALLBACK_CHAT_FORMAT
            self.chat_format = FALLBACK_CHAT_FORMAT
            log.info("%s has no chat template; using %s", path.name, FALLBACK_CHAT_FORMAT)
        self._warm_up(llm)
        self._llm = llm
        # the first prefill renders the prompt itself: import and compile its template now
        self.render_prompt(ChatHistory(self.settings.system_prompt).messages_for("Hi"))

    @property
    def threads(self) -> int:
        """CPU threads for llama.cpp: the setting, or one per physical core."""
        return self.settings.threads or physical_cores()

    def _load_fastest(self, path: Path):
        """The model, as the re-encoded copy this CPU runs faster when there is one (see
        assistant/llm/reencode.py); returns it and the file it came from."""
        fast = reencode.cached_copy(path) if self.settings.reencode_slow_weights else None
        if fast is not None and fast.is_file():
            llm = self._load(fast, quiet=True)  # a damaged copy is simply made again
            if llm is not None:
                reencode.mark_used(fast)
                return llm, fast
        llm = self._load(path)
        if fast is None or not reencode.worth_reencoding(path, llm.metadata):
            return llm, path
        log.info("re-encoding %s as %s for this CPU (once)", path.name, reencode.TARGET_NAME)
        made = reencode.reencode(path, threads=self.threads)
        faster = self._load(made, quiet=True) if made is not None else None
        if faster is None:
            return llm, path
        llm.close()
        return faster, made

    def _load(self, path: Path, quiet: bool = False):
        """Load a GGUF with llama.cpp; a failure is one clear ModelError (or None if quiet)."""
        from llama_cpp import Llama

        s, threads = self.settings, self.threads
        try:
            with captured_stderr() as noise:
                llm = Llama(model_path=str(path), n_ctx=s.context_size, n_threads=threads,
                            n_threads_batch=threads, n_gpu_layers=s.gpu_layers, verbose=False)
        except Exception as exc:
            log.debug("llama.cpp failed to load %s: %s\n%s", path, exc, "".join(noise))
            if quiet:
                return None
            raise ModelError(f"The LLM file {path.name} could not be loaded; it is damaged, "
                             "truncated or not a model llama.cpp supports. Download it again "
                             "or choose another model.") from None
        return llm

    def _warm_up(self, llm) -> None:
        """One tiny generation with the real system prompt (on the llama thread): loads the
        weights into the cache and leaves the system prompt's KV entries for the first real
        reply to reuse."""
        messages = ChatHistory(self.settings.system_prompt).messages_for("Hi")
        llm.create_chat_completion(messages=messages, max_tokens=2,
                                   temperature=self.settings.temperature)


    def sampling(self) -> dict:
        """llama.cpp's sampling options, from the settings."""
        s = self.settings
        return {"temperature": s.temperature, "top_p": s.top_p, "min_p": s.min_p,
                "top_k": s.top_k, "repeat_penalty": s.repeat_penalty}

    def close(self) -> None:
        self.cancel()
        llm, self._llm = self._llm, None
        if llm is not None:
            with contextlib.suppress(Exception):
                self._native.call(llm.close)
        self._native.stop()

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    # --- tokens ---------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """Tokens the model's tokenizer makes of `text` (special markers parsed as such)."""
        if self._llm is None or not text:
            return len(text) // 4 + 1 if text else 0
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def new_history(self) -> ChatHistory:
        """An empty history sized for this model: its context, its tokenizer, room for a reply."""
        return ChatHistory(self.settings.system_prompt, context_size=self.settings.context_size,
                           reserve_tokens=self.settings.max_tokens, count_tokens=self.count_tokens)

    def render_prompt(self, messages: list[dict]) -> str:
        """The exact prompt text the chat format makes of `messages` (for checks and logs)."""
        from llama_cpp import llama_chat_format

        if self.chat_format == "gguf":
            llm = self._llm
            formatter = llama_chat_format.Jinja2ChatFormatter(
                template=llm.metadata["tokenizer.chat_template"],
                eos_token=llm._model.token_get_text(llm.token_eos()),
                bos_token=llm._model.token_get_text(llm.token_bos()),
            )
            return formatter(messages=messages).prompt
        return llama_chat_format.format_chatml(messages=messages).prompt

    def prefill(self, messages: list[dict], upto: str) -> bool:
        """Evaluate the prompt for `messages` up to the end of the text `upto` (the user's
        words recognised so far) while the user is still talking, so that when the turn ends
        only the last words are left to evaluate. llama.cpp keeps the evaluated prefix and
        reuses it for the next prompt that starts the same way. Returns when it is done."""
        prompt = self.render_prompt(messages)
        end = prompt.rfind(upto) if upto else -1
        if end <= 0:
            return False
        self._native.call(self._llm.create_completion, prompt=prompt[: end + len(upto)],
                          max_tokens=1, temperature=0.0)
        return True

    # --- replies --------------------------------------------------------------------------

    def stream_reply(self, messages: list[dict] | str, generation: int = 0) -> "TokenStream":
        """The reply's text token by token as llama.cpp produces it (iterate the result).

        `messages` is a chat (system, history, user; see `ChatHistory.messages_for`), or a
        plain user text, sent with the system prompt and no history. The history is not
        touched: the caller records the exchange once it knows what was played. The stream's
        `finish_reason` is then "stop", "length" or "cancelled", `n_tokens` what it cost.
        """
        if self._llm is None:
            raise RuntimeError("LlmEngine.start() was not called")
        if isinstance(messages, str):
            messages = ChatHistory(self.settings.system_prompt).messages_for(messages)
        return TokenStream(self, messages, self.settings.max_tokens)

    def cancel(self) -> None:
        """Stop the reply being streamed now (thread-safe). Later replies are unaffected."""
        with self._cancel_lock:
            self._cancel_count += 1

    def _stream(self, stream: "TokenStream", messages: list[dict],
                max_tokens: int) -> Iterator[str]:
        """Tokens come from the llama thread through a queue; when the caller stops early the
        producer stops at its next token."""
        with self._cancel_lock:
            token = self._cancel_count
        out: queue.SimpleQueue = queue.SimpleQueue()
        abandoned = threading.Event()
        llm = self._llm

        def produce() -> None:
            reason = ""
            spent = 0
            try:
                seed = self.settings.seed if self.settings.seed >= 0 else None
                stream = llm.create_chat_completion(
                    messages=messages, stream=True, max_tokens=max_tokens, seed=seed,
                    **self.sampling())
                try:
                    for part in stream:
                        if self._cancel_count != token or abandoned.is_set():
                            reason = "cancelled"
                            break
                        choice = part["choices"][0]
                        reason = choice.get("finish_reason") or reason
                        text = choice.get("delta", {}).get("content")
                        if text:
                            # how many tokens the reply has cost so far: a character spelled
                            # in several byte tokens (Korean, say) arrives once, whole
                            spent += len(llm.tokenize(text.encode("utf-8"), add_bos=False,
                                                      special=False))
                            out.put((text, spent))
                finally:
                    stream.close()  # frees llama's generator at once
                out.put(_End(reason))
            except BaseException as exc:  # raised in the caller's thread
                out.put(_Failed(exc))

        self._native.submit(produce)
        try:
            while True:
                item = out.get()
                if isinstance(item, _End):
                    stream.finish_reason = item.reason
                    break
                if isinstance(item, _Failed):
                    raise item.error
                if self._cancel_count != token:  # nothing is yielded after cancel()
                    stream.finish_reason = "cancelled"
                    return
                text, stream.n_tokens = item
                yield text
            if self._cancel_count != token:
                stream.finish_reason = "cancelled"
        finally:
            abandoned.set()


class TokenStream:
    """One reply being streamed: iterate it for the text pieces; `n_tokens` is what the reply
    has cost so far (a character spelled in several tokens arrives once, whole), and
    `finish_reason` says why it ended."""

    def __init__(self, engine: LlmEngine, messages: list[dict], max_tokens: int):
        self.n_tokens = 0
        self.finish_reason = ""
        self._tokens = engine._stream(self, messages, max_tokens)

    def __iter__(self) -> Iterator[str]:
        return self._tokens


class _End:
    def __init__(self, reason: str):
        self.reason = reason


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error
