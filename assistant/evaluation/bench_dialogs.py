"""The standard bench dialogs, spoken by espeak-ng at bench time, and real recordings.

`python -m assistant.evaluation.bench_dialogs --out DIR [--language en|ko|all]` writes, per
dialog, a 16 kHz mono WAV and a `.json` sidecar with each utterance's start and end on the
file's timeline, so the bench can measure barge-in latency from the true onset of the
interrupting speech.

English is the standard set (the default engine, Whisper): the question and interrupt dialogs
in three espeak-ng voices (`questions-en-us.wav`, `questions-en-gb.wav`,
`questions-en-us-f3.wav`, the same for `interrupt-` and for `skills-`: requests the local
skills answer without the LLM), the real English recordings in
tests/fixtures as one dialog (`recordings-en.wav`) and the thinking-pause dialog
(`pauses-en.wav`). `--language ko` makes the Korean dialogs for the Vosk code path (the only
Vosk model reachable offline is Korean); the two real-speech dialogs are written either way.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import soundfile

from assistant.commands.parsing import StrictParser
from assistant.evaluation.pause_dialogs import write_pause_dialog
from assistant.evaluation.speech_clips import (
    FIXTURES, RATE, load_recording, recording_words, speak,
)

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
        # the local skills (no LLM): the time, a timer that rings during the dialog, what is
        # left, the date, say that again, an alarm and its cancelling
        "skills": [
            ("What time is it?", 5.0),
            ("Set a timer for twenty seconds.", 6.0),
            ("How much time is left?", 6.0),
            ("What's the date today?", 14.0),
            ("Say that again.", 6.0),
            ("Set an alarm for seven thirty in the morning.", 7.0),
            ("Cancel the alarm.", 8.0),
        ],
    },
}
# espeak-ng voices each language's dialogs are spoken in: a dialog file per voice
ESPEAK_VOICES = {"ko": ("ko",), "en": ("en-us", "en-gb", "en-us+f3")}


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


# real English recordings in tests/fixtures (see its MANIFEST; their words in speech_clips),
# one sentence or question each, short, several speakers taking turns
RECORDINGS_EN = (
    "asterisk-allison-vm-savefolder.wav", "cmu-arctic-awb-a0007.wav", "praatio-bobby.wav",
    "parselmouth-north-wind.wav", "asterisk-allison-vm-changeto.wav", "cmu-arctic-a0009.wav",
    "praatio-mary.wav", "asterisk-allison-vm-nobodyavail.wav", "alsa-front-left.wav",
    "praatio-damon.wav", "asterisk-allison-tt-weasels.wav", "asterisk-allison-priv-recordintro.wav",
)


def write_recordings_dialog(out_dir: Path, fixtures: Path = FIXTURES,
                            names: tuple[str, ...] = RECORDINGS_EN,
                            pause_s: float = 14.0) -> Path | None:
    """The real English recordings as one dialog, `recordings-en.wav`: each utterance, then a
    pause long enough for a reply."""
    paths = [fixtures / name for name in names if (fixtures / name).is_file()]
    if not paths:
        return None
    pieces, segments, t = [np.zeros(RATE, dtype=np.float32)], [], 1.0
    for path in paths:
        speech = load_recording(path)
        segments.append({"text": recording_words(path.name), "clip": path.name,
                         "start_s": round(t, 3), "end_s": round(t + len(speech) / RATE, 3)})
        pieces += [speech, np.zeros(int(pause_s * RATE), dtype=np.float32)]
        t += len(speech) / RATE + pause_s
    out = out_dir / "recordings-en.wav"
    soundfile.write(out, np.concatenate(pieces), RATE, subtype="PCM_16")
    out.with_suffix(".json").write_text(json.dumps(
        {"language": "en", "sample_rate": RATE, "segments": segments, "interrupts": []},
        indent=1))
    return out


def dialog_stem(name: str, voice: str) -> str:
    """questions-ko, questions-en-us, questions-en-us-f3: the dialog and the voice it is in."""
    return f"{name}-{voice.replace('+', '-')}"


def write_spoken_dialogs(out_dir: Path, language: str, workdir: Path) -> list[Path]:
    """Every dialog of the language in each of its espeak-ng voices."""
    written = []
    for voice in ESPEAK_VOICES[language]:
        for name, lines in DIALOGS[language].items():
            audio, segments = build_dialog(lines, voice, workdir)
            path = out_dir / f"{dialog_stem(name, voice)}.wav"
            soundfile.write(path, audio, RATE, subtype="PCM_16")
            sidecar = {"language": language, "voice": voice, "sample_rate": RATE,
                       "segments": segments,
                       "interrupts": [1, 2, 3] if name == "interrupt" else []}
            path.with_suffix(".json").write_text(json.dumps(sidecar, ensure_ascii=False, indent=1))
            written.append(path)
    return written


def write_dialogs(out_dir: Path, language: str = "en") -> list[Path]:
    """The espeak-ng dialogs of `language` ("all": every language), then the real recordings
    and the thinking-pause dialog."""
    out_dir.mkdir(parents=True, exist_ok=True)
    languages = sorted(DIALOGS) if language == "all" else [language]
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for spoken in languages:
            written += write_spoken_dialogs(out_dir, spoken, Path(tmp))
    recordings = write_recordings_dialog(out_dir)
    if recordings is not None:
        written.append(recordings)
    written.append(write_pause_dialog(out_dir))
    return written


def main(argv=None) -> int:
    parser = StrictParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--language", choices=[*sorted(DIALOGS), "all"], default="en")
    args = parser.parse_args(argv)
    for path in write_dialogs(args.out, args.language):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
