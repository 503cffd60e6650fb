"""Nothing leaves the machine: the switches that keep the native libraries off the network.

The app talks to the network only when the person asks for a download (`models download`,
the download dialog), and then only to the catalog's address or to PyPI through pip. The
libraries it embeds must not do so on their own:

- ONNX Runtime (the voice detector's gate, Piper voices) ships 1DS telemetry in its PyPI
  wheels since 1.29, on by default on Linux: DNS lookups and HTTPS posts to
  mobile.events.data.microsoft.com every few seconds. `ORT_DISABLE_TELEMETRY=1`, read when
  the runtime initialises, turns it off; `disable_telemetry_events()` covers a runtime that
  was imported before us.
- huggingface_hub (imported by faster-whisper) would look up a model name on the Hub and
  send usage pings; every model here is a local folder, so the Hub is switched off entirely.

CTranslate2, llama.cpp, Vosk, PortAudio and Qt make no network calls of their own (the test
in tests/test_no_network.py watches every socket the app opens under strace).

`apply()` runs when the `assistant` package is first imported, before any engine is.
"""

from __future__ import annotations

import os
import sys

OFFLINE_ENVIRONMENT = {
    "ORT_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
}


def apply() -> None:
    """Set the switches (overriding any other value: the promise is not configurable)."""
    os.environ.update(OFFLINE_ENVIRONMENT)
    if "onnxruntime" in sys.modules:
        disable_onnxruntime_telemetry()


def disable_onnxruntime_telemetry() -> None:
    """For a runtime that was loaded before `apply()` could set the environment."""
    try:
        import onnxruntime

        onnxruntime.disable_telemetry_events()
    except (ImportError, AttributeError):
        pass
