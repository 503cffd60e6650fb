"""The words as a second end-of-turn signal, measured against the audio model alone, on the
labelled clips of turn_model_eval (whole sentences and sentences cut at a word boundary, real
recordings and espeak-ng, each followed by 200 ms of room noise).

    python -m assistant.evaluation.text_turn_eval [--json OUT]

For every clip: the end-of-turn model's probability (Smart Turn), the words Whisper tiny
writes for it at the pause (what the checkpoint gives the loop), and two text signals:

- rules: the recognizer's closing punctuation and the dangling words (turn_rules.py);
- the local LLM's probability that the user's message ends there: the chance that its next
  token after the words (lower-cased, without punctuation, as LiveKit's text turn detector
  is trained) ends the message or the sentence (its end token, ".", "?", "!", a new line).

Prints precision and recall of "complete" for each signal alone and combined.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

from assistant.commands.parsing import StrictParser
from assistant.evaluation.turn_model_eval import scores


def plain(text: str) -> str:
    """Lower case, no punctuation."""
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


class LlmEnd:
    """P(end of the user's message | its words so far) from the chat model's next token."""

    def __init__(self, model_path: Path, system_prompt: str):
        from llama_cpp import Llama

        self.llm = Llama(model_path=str(model_path), n_ctx=512, verbose=False, logits_all=True)
        self.system = system_prompt
        # the message ends here: its end token, or a full stop, question or exclamation mark
        # (the words come without punctuation, so the model's next token may be one)
        self.end_ids = sorted({self.llm.tokenize(t, add_bos=False, special=True)[0]
                               for t in (b"<|im_end|>", b".", b"?", b"!", b"\n")})

    def probability(self, words: str) -> float:
        prompt = (f"<|im_start|>system\n{self.system}<|im_end|>\n<|im_start|>user\n{words}")
        tokens = self.llm.tokenize(prompt.encode(), add_bos=False, special=True)
        self.llm.reset()
        self.llm.eval(tokens)
        logits = np.asarray(self.llm.scores[self.llm.n_tokens - 1], dtype=np.float64)
        top = logits.max()
        odds = np.exp(logits - top)
        return float(odds[self.end_ids].sum() / odds.sum())


def evaluate() -> dict:
    from assistant.config import Settings
    from assistant.conversation.turn_rules import Rules
    from assistant.evaluation.pause_dialogs import labelled_clips
    from assistant.modelstore.manager import ModelManager
    from assistant.stt.whisper import WhisperRecognizer
    from assistant.turn_detection.smart_turn import SmartTurn

    settings = Settings()
    manager = ModelManager()
    detector = SmartTurn(manager.resolve("turn-detector", "smart-turn-v3.2-cpu"))
    detector.start()
    recognizer = WhisperRecognizer(manager.resolve("stt-whisper", "whisper-tiny"), "en",
                                   live_partials=False)
    recognizer.start()
    llm = LlmEnd(manager.resolve("llm-gguf", settings.llm.model), settings.llm.system_prompt)
    rules = Rules.from_settings(settings, has_model=True)
    with tempfile.TemporaryDirectory() as tmp:
        clips = labelled_clips(Path(tmp))
    rows = []
    for label, complete, audio in clips:
        words = recognizer.transcribe_once(audio).text
        rows.append({"label": label, "complete": complete, "words": words,
                     "audio": round(detector.probability(audio), 3),
                     "punctuated": bool(re.search(r"[.?!]\W*$", words.strip()))
                     and not rules.words_unfinished(words),
                     "unfinished": rules.words_unfinished(words),
                     "llm": round(llm.probability(plain(words) or ""), 4)})
    detector.close()
    recognizer.close()
    return {"clips": len(rows), "rows": rows, "signals": signals(rows)}


def signals(rows: list[dict]) -> dict:
    labels = [r["complete"] for r in rows]
    out = {"audio >= 0.5": scores(labels, [r["audio"] for r in rows], 0.5),
           "punctuation": scores(labels, [float(r["punctuated"]) for r in rows], 0.5)}
    for t in (0.05, 0.1, 0.2, 0.3, 0.5):
        out[f"llm >= {t}"] = scores(labels, [r["llm"] for r in rows], t)
    both = [float(r["audio"] >= 0.5 and r["punctuated"]) for r in rows]
    either = [float(r["audio"] >= 0.5 or r["punctuated"]) for r in rows]
    out["audio and punctuation"] = scores(labels, both, 0.5)
    out["audio or punctuation"] = scores(labels, either, 0.5)
    return out


def main(argv=None) -> int:
    parser = StrictParser(prog="python -m assistant.evaluation.text_turn_eval",
                          description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, metavar="OUT", help="write every clip's figures")
    args = parser.parse_args(argv)
    result = evaluate()
    print(f"{result['clips']} clips")
    for name, s in result["signals"].items():
        print(f"{name:>24}: precision {s['precision']}, recall {s['recall']}, "
              f"cut-off called complete {s['cut_off_called_complete']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
