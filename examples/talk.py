#!/usr/bin/env python3
"""Talk to the voice assistant's local API: stream a WAV file or the microphone to
`/v1/conversation` and play (or save) the spoken reply, printing what was heard and said.

    python examples/talk.py question.wav            # a recording, sent as if spoken
    python examples/talk.py --mic                    # the microphone (Ctrl+C to stop)
    python examples/talk.py question.wav --out reply.wav   # save the reply instead of playing

Start the server first (`voice-assistant serve`). The token is read from the api-token file
in the settings folder (or give --token). Needs `websockets`, `numpy`, `soundfile`, `soxr`
and, to play or record, `sounddevice`: all installed with the assistant.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np

RATE = 16000
BLOCK = 640  # 40 ms of 16 kHz audio per message


def token_path() -> Path:
    import os

    import platformdirs

    folder = os.environ.get("VOICE_ASSISTANT_CONFIG_DIR") or platformdirs.user_config_dir(
        "voice-assistant")
    return Path(folder) / "api-token"


def load_16k(path: Path) -> np.ndarray:
    import soundfile
    import soxr

    samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    mono = samples.mean(axis=1)
    if rate != RATE:
        mono = soxr.resample(mono, rate, RATE)
    return (np.clip(mono, -1, 1) * 32767).astype("<i2")


async def send_file(ws, samples: np.ndarray, tail_s: float) -> None:
    """The file in real time, then `tail_s` of silence (the pause that ends the turn)."""
    samples = np.concatenate([samples, np.zeros(int(tail_s * RATE), "<i2")])
    start = time.monotonic()
    for i in range(0, len(samples), BLOCK):
        await asyncio.sleep(max(0.0, start + (i + BLOCK) / RATE - time.monotonic()))
        await ws.send(samples[i:i + BLOCK].tobytes())
    await ws.send(json.dumps({"type": "end"}))


async def send_mic(ws) -> None:
    import sounddevice

    loop = asyncio.get_running_loop()
    blocks: asyncio.Queue = asyncio.Queue()

    def captured(indata, frames, time_info, status):
        loop.call_soon_threadsafe(blocks.put_nowait, bytes(indata))

    with sounddevice.RawInputStream(samplerate=RATE, channels=1, dtype="int16",
                                    blocksize=BLOCK, callback=captured):
        print("Listening; speak (Ctrl+C to stop).", file=sys.stderr)
        while True:
            await ws.send(await blocks.get())


class Player:
    """Reply audio as it comes: to the speaker, or kept for --out."""

    def __init__(self, rate: int, out: Path | None):
        self.rate, self.out = rate, out
        self.kept: list[np.ndarray] = []
        self.stream = None
        if out is None:
            import sounddevice

            self.stream = sounddevice.RawOutputStream(samplerate=rate, channels=1, dtype="int16")
            self.stream.start()

    def play(self, pcm: bytes) -> None:
        if self.stream is not None:
            self.stream.write(pcm)
        else:
            self.kept.append(np.frombuffer(pcm, "<i2"))

    def close(self) -> None:
        if self.stream is not None:
            self.stream.close()
        elif self.kept:
            import soundfile

            soundfile.write(str(self.out), np.concatenate(self.kept), self.rate)
            print(f"reply audio: {self.out}", file=sys.stderr)


async def talk(args) -> int:
    import websockets

    token = args.token or token_path().read_text().strip()
    url = f"ws://127.0.0.1:{args.port}/v1/conversation"
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"},
                                  max_size=2**20) as ws:
        audio_format = json.loads(await ws.recv())
        player = Player(audio_format["sample_rate"], args.out)
        sender = asyncio.create_task(send_mic(ws) if args.mic else
                                     send_file(ws, load_16k(args.file), args.tail))
        try:
            async for message in ws:
                if isinstance(message, bytes):
                    player.play(message)
                    continue
                event = json.loads(message)
                kind = event["type"]
                if kind == "partial":
                    print(f"\r  ... {event['text']}", end="", file=sys.stderr, flush=True)
                elif kind == "final":
                    print(f"\ryou: {event['text']}", flush=True)
                elif kind == "turn":
                    v2v = event["metrics"].get("v2v_ms")
                    cut = " (interrupted)" if event["interrupted"] else ""
                    print(f"assistant: {event['reply_text']}{cut}"
                          + (f"   [{v2v:.0f} ms]" if v2v is not None else ""), flush=True)
                elif kind in ("notice", "error"):
                    print(f"{kind}: {event['message']}", file=sys.stderr)
                elif kind == "end":
                    break
        finally:
            sender.cancel()
            player.close()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", nargs="?", type=Path, help="a WAV or FLAC file to send")
    source.add_argument("--mic", action="store_true", help="send the microphone")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", help="the API token (default: the api-token file)")
    parser.add_argument("--out", type=Path, help="save the reply audio here instead of playing")
    parser.add_argument("--tail", type=float, default=2.0,
                        help="seconds of silence sent after the file (default 2)")
    args = parser.parse_args()
    try:
        return asyncio.run(talk(args))
    except KeyboardInterrupt:
        return 0
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # websockets' refusals: a wrong token, too many conversations
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
