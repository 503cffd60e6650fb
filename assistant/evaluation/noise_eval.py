"""How often the open mic starts a turn on sounds that are not speech, and how well it still
hears speech in the same sounds.

    python -m assistant.evaluation.noise_eval [--aggressiveness N] [--gate on|off|both] [--minutes M]
                                   [--fixtures DIR] [--json OUT]

The noise corpus (`assistant.evaluation.noise_corpus`: real recordings of music, chimes, keyboard clicks
and noise) is written to one WAV and fed through `WavSource` into the real `Endpointer`;
every `SpeechStarted` on it is a false turn.

The other side of the trade-off: espeak-ng utterances and the real human recordings in the
fixtures are mixed into stretches of the same corpus at a few signal-to-noise ratios. An
utterance counts as heard when a turn starts during it; the onset delay is from the true
start of the utterance to the moment the endpointer said `SpeechStarted`.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from assistant.audio.sources import WavSource
from assistant.clock import NS_PER_MS, NS_PER_S, ManualClock
from assistant.commands.parsing import StrictParser
from assistant.config import VadSettings
from assistant.events import SpeechStarted
from assistant.evaluation.noise_corpus import (
    DEFAULT_FIXTURES,
    SNRS_DB,
    SPEECH_FIXTURES,
    SPEECH_TEXTS,
    Segment,
    Trial,
    build_noise_corpus,
    build_trials,
    espeak_utterances,
    real_utterances,
    write_wav,
)


@dataclass
class Result:
    aggressiveness: int
    gate: bool
    minutes: float
    false_turns: int
    false_turn_times_s: list[float] = field(default_factory=list)
    false_turn_sources: list[str] = field(default_factory=list)
    trials: dict[str, int] = field(default_factory=dict)  # per SNR
    heard: dict[str, int] = field(default_factory=dict)  # utterances that started a turn
    in_noise_turn: dict[str, int] = field(default_factory=dict)  # fell in a turn noise opened
    onset_delay_ms: dict[str, float] = field(default_factory=dict)  # median per SNR


# --- running the endpointer ---------------------------------------------------------------------


def make_endpointer(aggressiveness: int, gate: bool):
    """The real endpointer with the default settings but `aggressiveness`, Silero on or off."""
    from assistant.vad import Endpointer, SileroGate

    if gate and not SileroGate.available():
        raise RuntimeError("the Silero gate is not available (faster-whisper and onnxruntime)")
    settings = VadSettings(aggressiveness=aggressiveness)
    endpointer = Endpointer(settings, gate=SileroGate() if gate else None)
    endpointer.start()
    return endpointer


def turn_starts(endpointer, path: Path) -> list[SpeechStarted]:
    """Every SpeechStarted on the file, fed frame by frame as the microphone would."""
    endpointer.restart()
    source = WavSource(path, frame_ms=20, realtime=False, clock=ManualClock())
    source.start()
    started = []
    while (frame := source.read()) is not None:
        started += [e for e in endpointer.process(frame) if isinstance(e, SpeechStarted)]
    return started


def count_false_turns(endpointer, path: Path,
                      segments: list[Segment]) -> tuple[list[float], list[str]]:
    """The onset time of every turn started on the corpus, and what was sounding then."""
    times, sources = [], []
    for event in turn_starts(endpointer, path):
        t = event.t_onset_ns / NS_PER_S
        times.append(round(t, 2))
        during = [s.name for s in segments if s.start_s - 0.1 <= t <= s.end_s + 0.3]
        sources.append(", ".join(during) or "the noise floor")
    return times, sources


def run_trial(endpointer, trial: Trial) -> tuple[str, float | None]:
    """("heard", onset delay in ms) when a turn starts during the utterance; ("noise turn",
    None) when a turn the noise had started was still open when the speech began (the words
    land in a turn, but not because they were heard); ("missed", None) otherwise."""
    from assistant.vad import VadState

    endpointer.restart()
    source = WavSource(trial.path, frame_ms=20, realtime=False, clock=ManualClock())
    source.start()
    start_ns = int(trial.speech_start_s * NS_PER_S)
    end_ns = int(trial.speech_end_s * NS_PER_S)
    open_at_start = False
    while (frame := source.read()) is not None:
        if frame.t_ns <= start_ns < frame.t_end_ns:
            open_at_start = endpointer.state in (VadState.SPEAKING, VadState.STOPPING)
        for event in endpointer.process(frame):
            if isinstance(event, SpeechStarted) and \
                    start_ns - 300 * NS_PER_MS <= event.t_onset_ns <= end_ns:
                return "heard", (event.t_ns - start_ns) / NS_PER_MS
    return ("noise turn" if open_at_start else "missed"), None


def score_trials(endpointer, trials: list[Trial]) -> tuple[dict, dict, dict, dict]:
    """Per SNR: trials, utterances heard, utterances inside a turn the noise had opened, and
    the median onset delay of the heard ones."""
    count: dict[str, int] = {}
    heard: dict[str, int] = {}
    noise_turn: dict[str, int] = {}
    delays: dict[str, list[float]] = {}
    for trial in trials:
        key = f"{trial.snr_db}dB"
        count[key] = count.get(key, 0) + 1
        heard.setdefault(key, 0)
        noise_turn.setdefault(key, 0)
        outcome, delay = run_trial(endpointer, trial)
        if outcome == "heard":
            heard[key] += 1
            delays.setdefault(key, []).append(delay)
        elif outcome == "noise turn":
            noise_turn[key] += 1
    medians = {k: round(float(np.median(v)), 1) for k, v in delays.items()}
    return count, heard, noise_turn, medians


# --- the whole evaluation -----------------------------------------------------------------------


def evaluate(configs, *, minutes: float = 5.0, fixtures: Path = DEFAULT_FIXTURES,
             directory: Path | None = None, with_speech: bool = True,
             progress=None) -> list[Result]:
    """Run every (aggressiveness, gate) in `configs` over the corpus and the speech trials."""
    with tempfile.TemporaryDirectory(prefix="va-noise-") as tmp:
        work = Path(directory or tmp)
        noise, segments = build_noise_corpus(fixtures, minutes)
        corpus = write_wav(work / "noise-corpus.wav", noise)
        trials = []
        if with_speech:
            trials = build_trials(noise, segments, espeak_utterances() + real_utterances(fixtures),
                                  work)
        results = []
        for aggressiveness, gate in configs:
            endpointer = make_endpointer(aggressiveness, gate)
            times, sources = count_false_turns(endpointer, corpus, segments)
            count, heard, noise_turn, delays = (score_trials(endpointer, trials) if trials
                                                else ({}, {}, {}, {}))
            result = Result(aggressiveness, gate, minutes, len(times), times, sources, count,
                            heard, noise_turn, delays)
            results.append(result)
            if progress is not None:
                progress(result)
        return results


def format_row(r: Result) -> str:
    cells = []
    for key, n in r.trials.items():
        delay = r.onset_delay_ms.get(key)
        cells.append(f"{r.heard[key]:>2}/{n} +{r.in_noise_turn[key]} "
                     f"{'-' if delay is None else f'{delay:.0f}':>4} ms")
    gate = "on " if r.gate else "off"
    return f"{r.aggressiveness:>4}  {gate}  {r.false_turns:>11}   " + "   ".join(cells)


HEADER = ("aggr  gate  false turns   speech at {snrs} dB SNR: heard/trials "
          "+inside a turn the noise opened, median onset delay")


def main(argv: list[str] | None = None) -> int:
    parser = StrictParser(prog="python -m assistant.evaluation.noise_eval",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--aggressiveness", type=int, choices=range(4), action="append",
                        help="webrtcvad aggressiveness (repeat for several; default: 0-3)")
    parser.add_argument("--gate", choices=("on", "off", "both"), default="both",
                        help="the Silero gate (default: both)")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the noise corpus")
    parser.add_argument("--fixtures", type=Path, default=DEFAULT_FIXTURES,
                        help="folder with the recordings (default: tests/fixtures/audio)")
    parser.add_argument("--no-speech", action="store_true", help="only count false turns")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if not args.fixtures.is_dir():
        print(f"No recordings in {args.fixtures}; give the folder with --fixtures.",
              file=sys.stderr)
        return 2
    gates = {"on": [True], "off": [False], "both": [False, True]}[args.gate]
    configs = [(a, g) for a in (args.aggressiveness or [0, 1, 2, 3]) for g in gates]
    print(f"{args.minutes:g} minutes of noise; {len(SPEECH_TEXTS) + len(SPEECH_FIXTURES)} "
          "utterances mixed into it at each SNR")
    print(HEADER.format(snrs=" / ".join(str(snr) for snr in SNRS_DB)))
    try:
        results = evaluate(configs, minutes=args.minutes, fixtures=args.fixtures,
                           with_speech=not args.no_speech,
                           progress=lambda r: print(format_row(r), flush=True))
    except (RuntimeError, OSError) as exc:
        print(f"The evaluation could not run: {exc}.", file=sys.stderr)
        return 2
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
