"""The standard bench dialogs, spoken by espeak-ng at bench time.

`python -m assistant.evaluation.bench_dialogs --out DIR [--language ko|en]` writes, per dialog, a 16 kHz mono
WAV and a `.json` sidecar with each utterance's start and end on the file's timeline, so the
bench can measure barge-in latency from the true onset of the interrupting speech.

Vosk is the engine under test and the only Vosk model reachable here is Korean, so the
default dialogs are Korean; `--language en` makes English ones for the Whisper engine.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile
import soxr

from assistant.commands.parsing import StrictParser

RATE = 16000

# (utterance, pause after it in seconds); a pause is long enough for a short reply
DIALOGS = {
    "ko": {
        "questions": [
            ("오늘 날씨가 어때요?", 14.0),
            ("좋은 책을 한 권 추천해 주세요.", 14.0),
            ("커피와 차 중에 무엇이 더 좋아요?", 14.0),
            ("주말에 무엇을 하면 좋을까요?", 14.0),
            ("정말 감사합니다 좋은 하루 보내세요.", 10.0),
        ],
        "interrupt": [
            ("용에 대한 아주 긴 이야기를 들려주세요.", 3.0),
            ("잠깐만요 고양이에 대해 알려 주세요.", 3.0),
            ("아니요 강아지에 대해 말해 주세요.", 3.0),
            ("그만 그냥 날씨를 알려 주세요.", 14.0),
            ("고마워요.", 10.0),
        ],
    },
    "en": {
        "questions": [
            ("What is the weather usually like in spring?", 14.0),
            ("Can you recommend a good book?", 14.0),
            ("Do you prefer coffee or tea?", 14.0),
            ("What should I do this weekend?", 14.0),
            ("Thank you and have a nice day.", 10.0),
        ],
        "interrupt": [
            ("Tell me a very long story about a dragon.", 3.0),
            ("Wait tell me about cats instead.", 3.0),
            ("No tell me about dogs please.", 3.0),
            ("Stop and just tell me the weather.", 14.0),
            ("Thanks.", 10.0),
        ],
    },
}
ESPEAK_VOICE = {"ko": "ko", "en": "en-us"}


def speak(text: str, voice: str, workdir: Path) -> np.ndarray:
    """espeak-ng speech as 16 kHz float32 mono, leading and trailing silence trimmed."""
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed; run `make test` or apt-get install espeak-ng")
    wav = workdir / "utterance.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", "160", "-w", str(wav), text], check=True)
    audio, rate = soundfile.read(wav, dtype="float32", always_2d=True)
    audio = soxr.resample(audio[:, 0], rate, RATE)
    voiced = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[voiced[0]: voiced[-1] + 1] if len(voiced) else audio


def build_dialog(lines, voice: str, workdir: Path, lead_s: float = 1.0):
    pieces = [np.zeros(int(lead_s * RATE), dtype=np.float32)]
    segments = []
    t = lead_s
    for text, pause_s in lines:
        speech = speak(text, voice, workdir)
        segments.append({"text": text, "start_s": round(t, 3),
                         "end_s": round(t + len(speech) / RATE, 3)})
        pieces += [speech, np.zeros(int(pause_s * RATE), dtype=np.float32)]
        t += len(speech) / RATE + pause_s
    return np.concatenate(pieces), segments


REAL_RECORDINGS = ("alsa-front-center.wav", "alsa-front-left.wav", "alsa-rear-right.wav")


def load_recording(path: Path) -> np.ndarray:
    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    audio = soxr.resample(audio.mean(axis=1), rate, RATE)
    voiced = np.flatnonzero(np.abs(audio) > 0.01)
    return audio[voiced[0]: voiced[-1] + 1] if len(voiced) else audio


def write_recordings_dialog(out_dir: Path, fixtures: Path, pause_s: float = 14.0) -> Path | None:
    """The real human recordings in tests/fixtures (see its MANIFEST) as one dialog."""
    paths = [fixtures / name for name in REAL_RECORDINGS if (fixtures / name).is_file()]
    if not paths:
        return None
    pieces, segments, t = [np.zeros(RATE, dtype=np.float32)], [], 1.0
    for path in paths:
        speech = load_recording(path)
        segments.append({"text": path.stem, "start_s": round(t, 3),
                         "end_s": round(t + len(speech) / RATE, 3)})
        pieces += [speech, np.zeros(int(pause_s * RATE), dtype=np.float32)]
        t += len(speech) / RATE + pause_s
    out = out_dir / "recordings.wav"
    soundfile.write(out, np.concatenate(pieces), RATE, subtype="PCM_16")
    out.with_suffix(".json").write_text(json.dumps(
        {"language": "en", "sample_rate": RATE, "segments": segments, "interrupts": []},
        indent=1))
    return out


def write_dialogs(out_dir: Path, language: str = "ko") -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, lines in DIALOGS[language].items():
            audio, segments = build_dialog(lines, ESPEAK_VOICE[language], Path(tmp))
            path = out_dir / f"{name}-{language}.wav"
            soundfile.write(path, audio, RATE, subtype="PCM_16")
            sidecar = {"language": language, "sample_rate": RATE, "segments": segments,
                       "interrupts": [1, 2, 3] if name == "interrupt" else []}
            path.with_suffix(".json").write_text(json.dumps(sidecar, ensure_ascii=False, indent=1))
            written.append(path)
    fixtures = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "audio"
    recordings = write_recordings_dialog(out_dir, fixtures)
    if recordings is not None:
        written.append(recordings)
    from assistant.evaluation.pause_dialogs import write_pause_dialog  # it imports this module

    written.append(write_pause_dialog(out_dir))
    return written


def main(argv=None) -> int:
    parser = StrictParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--language", choices=sorted(DIALOGS), default="ko")
    args = parser.parse_args(argv)
    for path in write_dialogs(args.out, args.language):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
