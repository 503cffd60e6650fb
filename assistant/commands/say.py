"""The `say` command: speak a text through the speaker, or write it to a WAV file.

The text goes through the same chunker as LLM replies (markdown and emoji stripped, split at
sentences), so a long text starts speaking after its first sentence is synthesized.
`SpeechOutput` is the small synth-thread-plus-speaker that `ask` uses as well.
"""

from __future__ import annotations

import queue
import sys
import threading
from pathlib import Path

import numpy as np

from assistant.errors import UserError


def add_arguments(parser) -> None:
    parser.add_argument("text", nargs="+", metavar="TEXT", help="what to say")
    parser.add_argument("--out", type=Path, metavar="OUT.wav",
                        help="write the speech to this WAV file instead of playing it")


class SpeechOutput:
    """Text chunks in, speech out: one synth thread turns each chunk into audio and queues it
    on the speaker, so synthesis of the next chunk overlaps playback of this one."""

    def __init__(self, tts, speaker, turn_id: int = 1, generation: int = 0):
        self.tts = tts
        self.speaker = speaker
        self.turn_id = turn_id
        self.generation = generation
        self.first_audio_ns: int | None = None
        self._chunks: queue.SimpleQueue = queue.SimpleQueue()
        self._count = 0
        self._thread = threading.Thread(target=self._run, name="synth", daemon=True)
        self._errors: list[BaseException] = []

    def start(self) -> None:
        self._thread.start()

    def say(self, text: str) -> None:
        self._chunks.put((self._count, text))
        self._count += 1

    def finish(self, timeout: float | None = None) -> None:
        """Wait until everything said so far was synthesized and played."""
        self._chunks.put(None)
        self._thread.join()
        if self._errors:
            raise self._errors[0]
        from assistant.events import AudioChunk

        self.speaker.play(AudioChunk(turn_id=self.turn_id, generation=self.generation,
                                     samples=np.zeros(0, np.float32),
                                     sample_rate=self.tts.sample_rate, chunk_index=-1, last=True))
        self.speaker.wait_idle(timeout)

    def stop(self) -> None:
        """Silence at once (Ctrl-C)."""
        self.speaker.generation = self.generation + 1
        self.tts.cancel()
        self.speaker.flush()
        self._chunks.put(None)

    def _run(self) -> None:
        from assistant.events import AudioChunk

        while True:
            item = self._chunks.get()
            if item is None or self.speaker.generation > self.generation:
                return
            index, text = item
            try:
                for samples in self.tts.synthesize(text):
                    if self.first_audio_ns is None:
                        self.first_audio_ns = self.speaker.clock.now_ns()
                    self.speaker.play(AudioChunk(
                        turn_id=self.turn_id, generation=self.generation, samples=samples,
                        sample_rate=self.tts.sample_rate, chunk_index=index, text=text))
            except BaseException as exc:  # reported by finish() on the caller's thread
                self._errors.append(exc)
                return


def open_speaker(settings, instead: str = ""):
    """The output device from the settings, started; AudioDeviceError if there is none, with
    `instead` (what the command can do without one) added to its message."""
    from assistant.audio.speaker import Speaker
    from assistant.errors import AudioDeviceError

    speaker = Speaker(device=settings.audio.output_device or None,
                      block_ms=settings.audio.output_block_ms)
    try:
        speaker.start()
    except AudioDeviceError as exc:
        if not instead:
            raise
        message = str(exc).rstrip(".").replace(", or choose one", ", choose one")
        raise AudioDeviceError(f"{message}, or {instead}.") from None
    return speaker


def speakable_chunks(text: str) -> list[str]:
    from assistant.tts.chunker import Chunker

    chunker = Chunker()
    return chunker.feed(text) + chunker.flush()


def write_wav(path: Path, tts, chunks: list[str]) -> float:
    """Synthesize every chunk into one WAV file; returns its length in seconds."""
    import soundfile

    audio = [samples for chunk in chunks for samples in tts.synthesize(chunk)]
    samples = np.concatenate(audio) if audio else np.zeros(0, np.float32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(str(path), np.clip(samples, -1.0, 1.0), tts.sample_rate, subtype="PCM_16")
    except (OSError, RuntimeError) as exc:
        raise UserError(f"Could not write {path}: {exc}.") from None
    return len(samples) / tts.sample_rate


def run(args, settings) -> int:
    from assistant.tts.factory import make_tts

    from assistant.paths import writable_output

    if args.out:
        writable_output(args.out)
    chunks = speakable_chunks(" ".join(args.text))
    if not chunks:
        raise UserError("There is nothing to say: the text has no words after removing "
                        "symbols and markup.")
    # no device: fail before loading anything
    speaker = None if args.out else open_speaker(settings, "write the speech to a file with --out OUT.wav")
    tts = make_tts(settings.tts)
    try:
        tts.start()
        if args.out:
            seconds = write_wav(args.out, tts, chunks)
            print(f"wrote {args.out} ({seconds:.1f} s)", file=sys.stderr)
            return 0
        output = SpeechOutput(tts, speaker)
        output.start()
        try:
            for chunk in chunks:
                output.say(chunk)
            output.finish()
        except KeyboardInterrupt:
            output.stop()
            raise
        return 0
    finally:
        if speaker is not None:
            speaker.close()
        tts.close()
