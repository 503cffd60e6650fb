"""How often the open mic starts a turn on sounds that are not speech, and how well it still
hears speech in the same sounds.

    python -m assistant.noise_eval [--aggressiveness N] [--gate on|off|both] [--minutes M]
                                   [--fixtures DIR] [--json OUT]

The noise corpus is built from real recordings shipped by Debian packages (music, chimes,
keyboard clicks, noise; see tests/fixtures/MANIFEST), cut and concatenated with varying gaps
and levels over a faint noise floor, and written to one WAV. It is fed through `WavSource`
into the real `Endpointer`; every `SpeechStarted` on it is a false turn.

The other side of the trade-off: espeak-ng utterances and the real human recordings in the
fixtures are mixed into stretches of the same corpus at a few signal-to-noise ratios. An
utterance counts as heard when a turn starts during it; the onset delay is from the true
start of the utterance to the moment the endpointer said `SpeechStarted`.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from assistant.audio.devices import SAMPLE_RATE
from assistant.audio.sources import WavSource, load_audio
from assistant.clock import NS_PER_MS, NS_PER_S, ManualClock
from assistant.config import VadSettings
from assistant.events import SpeechStarted

DEFAULT_FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "audio"

# Every clip is a real recording from a Debian package (tests/fixtures/MANIFEST).
MUSIC = ["tuxtype-tuxi-excerpt.ogg", "oxygen-sys-log-in.ogg", "oxygen-sys-log-in-long.ogg"]
CHIMES = ["freedesktop-alarm-clock-elapsed.oga", "freedesktop-bell.oga",
          "freedesktop-complete.oga", "freedesktop-message-new-instant.oga",
          "freedesktop-phone-incoming-call.oga", "oxygen-im-phone-ring.ogg"]
NOISE = ["alsa-noise.wav", "freedesktop-trash-empty.oga", "freedesktop-camera-shutter.oga"]
KEYS = ["12", "1e", "20", "24", "31", "39"]  # bucklespring scan codes: e a d j n space
KEY_CLIPS = [f"bucklespring-{key}-{edge}.wav" for key in KEYS for edge in (0, 1)]

SPEECH_FIXTURES = ["alsa-front-center.wav", "alsa-front-left.wav", "alsa-rear-right.wav"]
SPEECH_TEXTS = [
    ("What time is it in Tokyo?", "en-us"),
    ("Turn the music down a little.", "en-us+f3"),
    ("Remind me to call my sister tomorrow.", "en-gb"),
    ("How long do I boil an egg?", "en-us+m3"),
    ("Yes.", "en-us"),
    ("Stop.", "en-gb+f2"),
]
SNRS_DB = (20, 10, 5, 0, -5)
SPEECH_DBFS = -26.0  # level of the speech in every trial (RMS over its loud part)
FLOOR_DBFS = -62.0  # the room: a faint noise under everything


@dataclass
class Segment:
    start_s: float
    end_s: float
    kind: str
    name: str


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


# --- the noise corpus ---------------------------------------------------------------------------


def _rms_dbfs(x: np.ndarray) -> float:
    if len(x) == 0:
        return -120.0
    rms = math.sqrt(float(np.mean(np.square(x, dtype=np.float64))))
    return 20 * math.log10(rms) if rms > 0 else -120.0


def _active_dbfs(x: np.ndarray, frame: int = 320) -> float:
    """The level of the loud part: RMS over the 20 ms frames within 20 dB of the loudest."""
    n = len(x) // frame
    if n == 0:
        return _rms_dbfs(x)
    levels = np.array([_rms_dbfs(x[i * frame:(i + 1) * frame]) for i in range(n)])
    loud = levels >= levels.max() - 20
    return _rms_dbfs(np.concatenate([x[i * frame:(i + 1) * frame] for i in np.flatnonzero(loud)]))


def _float(path: Path) -> np.ndarray:
    return load_audio(path).astype(np.float32) / 32768.0


def _fade(x: np.ndarray, seconds: float = 0.05) -> np.ndarray:
    n = min(len(x) // 2, int(seconds * SAMPLE_RATE))
    if n:
        ramp = np.linspace(0.0, 1.0, n, dtype=np.float32)
        x = x.copy()
        x[:n] *= ramp
        x[-n:] *= ramp[::-1]
    return x


def _at_level(x: np.ndarray, dbfs: float) -> np.ndarray:
    return x * np.float32(10 ** ((dbfs - _active_dbfs(x)) / 20))


def _typing(keys: dict[str, np.ndarray], rng: np.random.Generator, seconds: float) -> np.ndarray:
    """A burst of typing: key down and key up clicks at a typist's irregular pace."""
    out = np.zeros(int(seconds * SAMPLE_RATE) + SAMPLE_RATE, np.float32)
    t = 0.0
    while t < seconds:
        key = KEYS[int(rng.integers(len(KEYS)))] if rng.random() > 0.18 else "39"
        gain = float(rng.uniform(0.5, 1.0))
        for edge, delay in ((0, 0.0), (1, float(rng.uniform(0.06, 0.14)))):
            clip = keys[f"{key}-{edge}"] * gain
            start = int((t + delay) * SAMPLE_RATE)
            end = min(len(out), start + len(clip))
            out[start:end] += clip[:end - start]
        t += float(rng.uniform(0.09, 0.32))
        if rng.random() < 0.08:  # a pause to think
            t += float(rng.uniform(0.4, 1.2))
    return out[: int(seconds * SAMPLE_RATE)]


def build_noise_corpus(fixtures: Path = DEFAULT_FIXTURES, minutes: float = 5.0,
                       seed: int = 7) -> tuple[np.ndarray, list[Segment]]:
    """`minutes` of non-speech at 16 kHz (int16) and what plays when."""
    rng = np.random.default_rng(seed)
    clips = {name: _float(fixtures / name) for name in MUSIC + CHIMES + NOISE}
    keys = {name[len("bucklespring-"):-len(".wav")]: _float(fixtures / name) for name in KEY_CLIPS}
    total = int(minutes * 60 * SAMPLE_RATE)
    out = np.zeros(total + 30 * SAMPLE_RATE, np.float32)
    segments: list[Segment] = []
    kinds = ["music", "typing", "chime", "noise"]
    weights = np.array([0.35, 0.25, 0.25, 0.15])
    t = float(rng.uniform(0.5, 2.0))
    while t * SAMPLE_RATE < total:
        kind = kinds[int(rng.choice(len(kinds), p=weights))]
        if kind == "music":
            name = MUSIC[int(rng.integers(len(MUSIC)))]
            source = clips[name]
            length = min(len(source), int(rng.uniform(5, 20) * SAMPLE_RATE))
            offset = int(rng.integers(0, len(source) - length + 1))
            piece = _fade(source[offset:offset + length], 0.3)
            level = rng.uniform(-38, -16)
        elif kind == "typing":
            name = "bucklespring keys"
            piece = _typing(keys, rng, float(rng.uniform(2, 10)))
            level = rng.uniform(-40, -20)
        else:
            pool = CHIMES if kind == "chime" else NOISE
            name = pool[int(rng.integers(len(pool)))]
            piece = _fade(clips[name], 0.01)
            level = rng.uniform(-36, -12) if kind == "chime" else rng.uniform(-40, -20)
        piece = _at_level(piece, float(level))
        start = int(t * SAMPLE_RATE)
        out[start:start + len(piece)] += piece
        segments.append(Segment(round(t, 3), round(t + len(piece) / SAMPLE_RATE, 3), kind, name))
        # the next sound: after a gap, or now and then on top of the tail of this one
        gap = float(rng.uniform(0.3, 6.0)) if rng.random() > 0.15 else -float(rng.uniform(0, 1.5))
        t = max(t + 0.2, t + len(piece) / SAMPLE_RATE + gap)
    out = out[:total]
    floor_amp = 10 ** (FLOOR_DBFS / 20) * math.sqrt(3)
    out += rng.uniform(-floor_amp, floor_amp, total).astype(np.float32)
    samples = np.clip(np.rint(out * 32768.0), -32768, 32767).astype(np.int16)
    return samples, [s for s in segments if s.start_s * SAMPLE_RATE < total]


def write_wav(path: Path, samples: np.ndarray) -> Path:
    import soundfile

    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), samples, SAMPLE_RATE, subtype="PCM_16")
    return path


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


# --- speech in the same noise -------------------------------------------------------------------


def espeak_utterances() -> list[tuple[str, np.ndarray]]:
    if not shutil.which("espeak-ng"):
        return []
    out = []
    with tempfile.TemporaryDirectory(prefix="va-noise-eval-") as tmp:
        for i, (text, voice) in enumerate(SPEECH_TEXTS):
            path = Path(tmp) / f"{i}.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-w", str(path), text], check=True,
                           capture_output=True, timeout=30)
            out.append((f"espeak {voice}: {text}", _trim(_float(path))))
    return out


def real_utterances(fixtures: Path = DEFAULT_FIXTURES) -> list[tuple[str, np.ndarray]]:
    return [(name, _trim(_float(fixtures / name))) for name in SPEECH_FIXTURES]


def _trim(x: np.ndarray, threshold: float = 0.003) -> np.ndarray:
    loud = np.flatnonzero(np.abs(x) > threshold)
    return x[loud[0]:loud[-1] + 1] if len(loud) else x[:0]


@dataclass
class Trial:
    name: str
    snr_db: int
    path: Path
    speech_start_s: float
    speech_end_s: float


def build_trials(noise: np.ndarray, segments: list[Segment], utterances, directory: Path,
                 snrs=SNRS_DB, seed: int = 11) -> list[Trial]:
    """One WAV per utterance and SNR: 1.5 s of noise, the utterance over the noise, 1.5 s more.
    The noise stretch is taken where something is sounding (not in a quiet gap)."""
    rng = np.random.default_rng(seed)
    loud = [s for s in segments if s.end_s - s.start_s >= 1.0 and s.kind != "chime"]
    noise_f = noise.astype(np.float32) / 32768.0
    trials = []
    for index, (name, speech) in enumerate(utterances):
        speech = _at_level(speech, SPEECH_DBFS)
        pre, post = int(1.5 * SAMPLE_RATE), int(1.5 * SAMPLE_RATE)
        n = pre + len(speech) + post
        for snr in snrs:
            segment = loud[int(rng.integers(len(loud)))]
            begin = int(segment.start_s * SAMPLE_RATE)
            begin = min(begin, len(noise_f) - n)
            bed = noise_f[begin:begin + n].copy()
            under = bed[pre:pre + len(speech)]
            level = _rms_dbfs(under)
            if level > -100:
                bed *= np.float32(10 ** ((SPEECH_DBFS - snr - level) / 20))
            bed[pre:pre + len(speech)] += speech
            samples = np.clip(np.rint(bed * 32768.0), -32768, 32767).astype(np.int16)
            path = write_wav(directory / f"trial-{index}-{snr}.wav", samples)
            trials.append(Trial(name, snr, path, pre / SAMPLE_RATE,
                                (pre + len(speech)) / SAMPLE_RATE))
    return trials


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
    parser = argparse.ArgumentParser(prog="python -m assistant.noise_eval",
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
