"""No repeated tail: Whisper tiny on real clips that end right after the speech used to say
the words again ("Damon Fred Omelet. Damon Fred Omelet", "Bobby Ripped the Ledger. Bobby
Ripped the Led"). Through the path the REST API takes (one decode with word times, the full
window), the recognizer at the utterance's own length, and `transcribe` (the endpointer in
front), as recorded and cut right after the speech."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile
import soxr

from assistant.audio.devices import dbfs
from assistant.config import VadSettings
from assistant.conversation.file_feed import feed_file
from assistant.conversation.listener import Listener
from assistant.evaluation.speech_clips import UTTERANCES
from assistant.evaluation.stt_measure import normalise_words

pytestmark = pytest.mark.slow

CLIPS = ["praatio-damon.wav", "praatio-bobby.wav", "asterisk-allison-tt-weasels.wav",
         "alsa-front-left.wav"]


def as_recorded(path) -> np.ndarray:
    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return np.clip(soxr.resample(audio.mean(axis=1), rate, 16000) * 32768, -32768,
                   32767).astype(np.int16)


def cut_after_speech(samples: np.ndarray) -> np.ndarray:
    """Up to the end of the last 10 ms louder than -40 dBFS."""
    pieces = [i for i in range(0, len(samples), 160) if dbfs(samples[i:i + 160]) > -40]
    return samples[:pieces[-1] + 160]


def as_listened(recognizer, samples: np.ndarray) -> str:
    recognizer.begin()
    for i in range(0, len(samples), 320):
        recognizer.accept(samples[i:i + 320])
    return recognizer.finish().text


def as_transcribed(recognizer, samples: np.ndarray, path) -> str:
    """What `voice-assistant transcribe` does: the file through the listener's endpointer."""
    soundfile.write(str(path), samples, 16000, subtype="PCM_16")
    listener = Listener(recognizer, VadSettings())
    finals = []
    feed_file(listener, path, realtime=False,
              on_event=lambda _t0, event: finals.append(getattr(event, "text", None))
              if type(event).__name__ == "FinalTranscript" else None)
    return " ".join(text for text in finals if text)


@pytest.mark.parametrize("name", CLIPS)
def test_no_words_said_again(recognizer, real_audio, name, tmp_path):
    recorded = as_recorded(real_audio(name))
    said = len(normalise_words(UTTERANCES[name]))
    for label, samples in (("as recorded", recorded), ("cut", cut_after_speech(recorded))):
        for path, text in (("rest", recognizer.transcribe_once(samples, words=True).text),
                           ("listener", as_listened(recognizer, samples)),
                           ("transcribe", as_transcribed(recognizer, samples,
                                                         tmp_path / f"{label}.wav"))):
            heard = normalise_words(text)
            # a word misheard is fine; the sentence again is not
            assert 0 < len(heard) <= said + 1, (label, path, text)
