"""The end-of-turn model on its own: precision and recall of "complete" on labelled clips
(whole sentences and sentences cut off at a word boundary), and its inference time.

    python -m assistant.evaluation.turn_model_eval [--model ID|PATH] [--json OUT]

The clips are the thinking-pause dialog's sentences (espeak-ng in eight English voices and the
real recordings in tests/fixtures), whole or cut, each followed by 200 ms of room noise: what
the model hears when it is asked at a pause. Precision: of the clips it called complete, how
many were; recall: of the complete ones, how many it called complete.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from assistant.commands.parsing import StrictParser
from assistant.metrics import percentile

THRESHOLDS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def scores(labels: list[bool], probabilities: list[float], threshold: float) -> dict:
    said = [p >= threshold for p in probabilities]
    true_pos = sum(1 for s, c in zip(said, labels) if s and c)
    said_complete, complete = sum(said), sum(labels)
    return {"threshold": threshold,
            "precision": round(true_pos / said_complete, 3) if said_complete else None,
            "recall": round(true_pos / complete, 3) if complete else None,
            "cut_off_called_complete": sum(1 for s, c in zip(said, labels) if s and not c)}


def evaluate(model: str = "smart-turn-v3.2-cpu", threshold: float = 0.5,
             tail_s: float = 0.2) -> dict:
    from assistant.evaluation.pause_dialogs import labelled_clips
    from assistant.modelstore.manager import ModelManager
    from assistant.turn_detection.smart_turn import SmartTurn

    detector = SmartTurn(ModelManager().resolve("turn-detector", model))
    detector.start()
    with tempfile.TemporaryDirectory() as tmp:
        clips = labelled_clips(Path(tmp), tail_s=tail_s)
    labels, probabilities, times = [], [], []
    for _label, complete, audio in clips:
        began = time.perf_counter()
        probabilities.append(detector.probability(audio))
        times.append((time.perf_counter() - began) * 1000)
        labels.append(complete)
    detector.close()
    real = [i for i, (label, _c, _a) in enumerate(clips) if "@" in label or "jfk" in label]
    synthetic = [i for i in range(len(clips)) if i not in real]
    by_source = {name: {"clips": len(idx), **scores([labels[i] for i in idx],
                                                    [probabilities[i] for i in idx], threshold)}
                 for name, idx in (("real recordings", real), ("espeak-ng", synthetic))}
    return {"clips": len(clips), "complete": sum(labels), "cut_off": len(labels) - sum(labels),
            "tail_s": tail_s,
            **scores(labels, probabilities, threshold), "by_source": by_source,
            "by_threshold": [scores(labels, probabilities, t) for t in THRESHOLDS],
            "inference_ms": {"p50": round(percentile(times, 50), 1),
                             "p95": round(percentile(times, 95), 1)},
            "probabilities": [{"label": label, "complete": c, "p": round(p, 3)}
                              for (label, c, _a), p in zip(clips, probabilities)]}


def main(argv=None) -> int:
    parser = StrictParser(prog="python -m assistant.evaluation.turn_model_eval",
                          description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smart-turn-v3.2-cpu", help="catalog id or .onnx")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--tail-ms", type=int, default=200,
                        help="silence after each clip: how far into the pause the model is asked")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the full result")
    args = parser.parse_args(argv)
    result = evaluate(args.model, args.threshold, args.tail_ms / 1000)
    print(f"{result['clips']} clips ({result['complete']} complete, {result['cut_off']} cut off)"
          f"; inference p50 {result['inference_ms']['p50']} ms, p95 "
          f"{result['inference_ms']['p95']} ms")
    for name, row in result["by_source"].items():
        print(f"  {name} ({row['clips']} clips) at {row['threshold']}: precision "
              f"{row['precision']}, recall {row['recall']}")
    for row in result["by_threshold"]:
        print(f"  threshold {row['threshold']}: precision {row['precision']}, recall "
              f"{row['recall']}, cut off called complete {row['cut_off_called_complete']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
