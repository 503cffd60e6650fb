"""How fast is recognition: real-time factor and the delay from the true end of speech to the
final transcript, over many utterances (p50/p95).

    python -m assistant.evaluation.stt_measure --engine vosk --language ko --count 20
    python -m assistant.evaluation.stt_measure --engine whisper --language en --count 20

makes `--count` utterances with espeak-ng, feeds each in real time through the listening stage
(endpointer + recognizer, models loaded once) and prints the figures. `voice-assistant
transcribe FILES --stats --realtime` gives the same figures for your own recordings.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.clock import NS_PER_MS, NS_PER_S
from assistant.commands.parsing import StrictParser

SENTENCES = {
    "en": [
        "What is the weather like today", "Set a timer for ten minutes",
        "Turn off the lights in the kitchen", "How far away is the moon",
        "Tell me a short story about a dragon", "What time is it in Tokyo",
        "Remind me to call my mother tomorrow", "Play some quiet music please",
        "How do I make a cup of tea", "What is the capital of France",
        "Add milk and bread to my shopping list", "Who wrote the book about the white whale",
        "Open the window in the bedroom", "How many days are left until summer",
        "Read me the latest news", "What is seven times eight",
        "Wake me up at six in the morning", "Is it going to rain this evening",
        "Translate good morning into Spanish", "Call a taxi to the station",
        "Why is the sky blue", "Spell the word necessary",
        "Give me a recipe for pancakes", "How tall is the tallest mountain",
    ],
    "ko": [
        "안녕하세요 오늘 날씨가 좋네요", "지금 몇 시예요", "내일 아침 일곱 시에 깨워 주세요",
        "부엌 불 좀 꺼 주세요", "오늘 저녁에 비가 올까요", "음악을 틀어 주세요",
        "서울까지 얼마나 걸려요", "엄마한테 전화해 주세요", "우유와 빵을 사야 해요",
        "오늘 뉴스를 읽어 주세요", "타이머를 십 분으로 맞춰 주세요", "창문을 열어 주세요",
        "이번 주말에 뭐 할까요", "커피 한 잔 주세요", "감사합니다 좋은 하루 보내세요",
        "내일 회의는 몇 시예요", "배가 고파요 뭐 먹을까요", "길이 많이 막히네요",
        "한국어를 공부하고 있어요", "이 책은 정말 재미있어요", "주말에 친구를 만나요",
        "날씨가 너무 추워요", "도서관은 어디에 있어요", "생일 축하합니다",
    ],
}
ESPEAK_VOICES = {"en": "en-us", "ko": "ko"}


def normalise_words(text: str) -> list[str]:
    return re.sub(r"[^\w\s']", " ", text.lower()).split()


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate: word-level edit distance / number of reference words."""
    ref, hyp = normalise_words(reference), normalise_words(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    previous = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        current = [i]
        for j, h in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (r != h)))
        previous = current
    return previous[-1] / len(ref)


class LoudWindows:
    """Which 10 ms windows of a stream are louder than `threshold_dbfs`, fed block by block
    (only the loud ones are kept: a long quiet input costs nothing)."""

    def __init__(self, threshold_dbfs: float = -45.0, window_ms: int = 10):
        self.threshold_dbfs = threshold_dbfs
        self.window_ms = window_ms
        self.n = 16000 * window_ms // 1000
        self._carry = np.zeros(0, np.int16)
        self._windows = 0
        self.loud: list[int] = []

    def add(self, samples: np.ndarray) -> None:
        data = np.concatenate([self._carry, samples])
        usable = len(data) // self.n * self.n
        self._carry = data[usable:]
        blocks = data[:usable].astype(np.float64).reshape(-1, self.n) / 32768.0
        level = 10 * np.log10(np.mean(blocks ** 2, axis=1) + 1e-12)
        self.loud.extend((self._windows + np.flatnonzero(level > self.threshold_dbfs)).tolist())
        self._windows += len(blocks)

    def ends_s(self, min_gap_ms: int = 300) -> list[float]:
        """Ends (seconds) of the loud stretches; gaps shorter than `min_gap_ms` do not end one."""
        loud, ends = self.loud, []
        for a, b in zip(loud, loud[1:] + [None]):
            if b is None or (b - a) * self.window_ms > min_gap_ms:
                ends.append((a + 1) * self.window_ms / 1000)
        return ends


def speech_ends_s(samples: np.ndarray, threshold_dbfs: float = -45.0, window_ms: int = 10,
                  min_gap_ms: int = 300) -> list[float]:
    """Ends (seconds) of the loud stretches of a recording: the true ends of its utterances.
    Gaps shorter than `min_gap_ms` do not end an utterance."""
    windows = LoudWindows(threshold_dbfs, window_ms)
    windows.add(samples)
    return windows.ends_s(min_gap_ms)


@dataclass
class FileRun:
    """One file through the listening stage: its events and what it cost."""

    path: Path
    duration_s: float
    t0_ns: int
    events: list = field(default_factory=list)
    busy_s: float = 0.0  # CPU-side time spent inside the listener
    finalise_s: list = field(default_factory=list)  # per turn: time of the call that finalised
    true_ends_s: list = field(default_factory=list)
    realtime: bool = False

    def delays_ms(self) -> list[float]:
        """Per final transcript: from the true end of its speech to the transcript."""
        from assistant.events import FinalTranscript, SpeechEnded

        delays, detected = [], None
        finals = iter(self.finalise_s)
        for event in self.events:
            if isinstance(event, SpeechEnded):
                detected = event.t_ns
            elif isinstance(event, FinalTranscript) and detected is not None:
                cost = next(finals, 0.0)
                offset_s = (detected - self.t0_ns) / NS_PER_S
                ends = [e for e in self.true_ends_s if e <= offset_s + 0.05]
                if not ends:
                    continue
                true_end = self.t0_ns + int(ends[-1] * NS_PER_S)
                # Fed in real time the clock includes the decode; fed fast, add its wall time.
                at = event.t_ns if self.realtime else detected + int(cost * NS_PER_S)
                delays.append((at - true_end) / NS_PER_MS)
        return delays


def run_file(listener, path: Path, *, realtime: bool, on_event=None,
             keep_events: bool = True) -> FileRun:
    """Feed one file through a started listener (`feed_file`, as `transcribe` does), timing
    each step. `keep_events=False` keeps only what the statistics need."""
    from assistant.audio.audio_file import AudioFileReader, audio_file_info
    from assistant.conversation.file_feed import feed_file

    run = FileRun(path=path, duration_s=audio_file_info(path).duration_s, t0_ns=0,
                  realtime=realtime)

    def timed(spent: float, events: list) -> None:
        run.busy_s += spent
        if any(type(e).__name__ == "FinalTranscript" for e in events):
            run.finalise_s.append(spent)

    def got(t0_ns: int, event) -> None:
        run.t0_ns = t0_ns
        if keep_events or type(event).__name__ in ("SpeechEnded", "FinalTranscript"):
            run.events.append(event)
        if on_event:
            on_event(run, event)

    run.t0_ns = feed_file(listener, path, realtime=realtime, on_event=got, timer=timed)
    loud = LoudWindows()
    with AudioFileReader(path) as reader:
        for block in reader.blocks(16000):
            loud.add(block)
    run.true_ends_s = loud.ends_s()
    return run


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summary(runs: list[FileRun]) -> dict:
    delays = [d for run in runs for d in run.delays_ms()]
    rtfs = [run.busy_s / run.duration_s for run in runs if run.duration_s > 0]
    total_audio = sum(run.duration_s for run in runs)
    return {
        "files": len(runs), "utterances": len(delays), "audio_s": round(total_audio, 2),
        "rtf": round(sum(run.busy_s for run in runs) / total_audio, 3) if total_audio else None,
        "rtf_p50": round(percentile(rtfs, 50), 3),
        "end_to_final_ms_p50": round(percentile(delays, 50), 1),
        "end_to_final_ms_p95": round(percentile(delays, 95), 1),
        "finalise_ms_p50": round(percentile([s * 1000 for r in runs for s in r.finalise_s], 50), 1),
        "realtime": all(run.realtime for run in runs),
    }


def make_corpus(language: str, count: int, folder: Path, pad_s: float = 0.5) -> list[tuple[Path, str]]:
    """`count` espeak-ng utterances with `pad_s` of silence either side, as 16 kHz WAVs."""
    import soundfile

    from assistant.audio.sources import load_audio

    sentences = SENTENCES[language]
    out = []
    for i in range(count):
        text = sentences[i % len(sentences)]
        raw = folder / f"raw-{language}-{i:02d}.wav"
        subprocess.run(["espeak-ng", "-v", ESPEAK_VOICES.get(language, language), "-w", str(raw),
                        text], check=True, capture_output=True)
        pad = np.zeros(int(16000 * pad_s), np.int16)
        path = folder / f"{language}-{i:02d}.wav"
        soundfile.write(str(path), np.concatenate([pad, load_audio(raw), pad]), 16000)
        out.append((path, text))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = StrictParser(prog="python -m assistant.evaluation.stt_measure", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["vosk", "whisper"], required=True)
    parser.add_argument("--language", default="en", choices=sorted(SENTENCES))
    parser.add_argument("--model", type=Path, help="model folder (default: the installed one)")
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--fast", action="store_true", help="feed as fast as possible")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--files", type=Path, nargs="+", metavar="FILE",
                        help="your own recordings instead of espeak-ng sentences (no WER)")
    args = parser.parse_args(argv)

    from assistant.config import Settings
    from assistant.conversation.listener import Listener
    from assistant.stt.factory import make_recognizer

    settings = Settings()
    settings.stt.language = args.language
    recognizer = make_recognizer(settings, engine=args.engine, model_path=args.model,
                                 notify=lambda m: print(m, file=sys.stderr))
    listener = Listener(recognizer, settings.vad)
    listener.start()
    errors = []
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        corpus = ([(path, None) for path in args.files] if args.files
                  else make_corpus(args.language, args.count, Path(tmp)))
        for path, text in corpus:
            run = run_file(listener, path, realtime=not args.fast)
            hyp = " ".join(e.text for e in run.events if type(e).__name__ == "FinalTranscript")
            if text is not None:
                errors.append(wer(text, hyp))
            runs.append(run)
            if not args.json:
                score = f" (WER {errors[-1]:.2f})" if text is not None else ""
                print(f"{path.name}: {hyp!r}{score}", file=sys.stderr)
    listener.close()
    result = summary(runs) | {"engine": args.engine, "language": args.language,
                              "wer_mean": round(float(np.mean(errors)), 3) if errors else None,
                              "end_silence_ms": settings.vad.end_silence_ms}
    print(json.dumps(result, ensure_ascii=False) if args.json else
          "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
