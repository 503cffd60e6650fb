"""Audio in (microphone, replayed files) and out (speaker).

Sources deliver 16 kHz mono int16 `AudioFrame`s stamped on the injected clock.
"""

from assistant.audio.devices import InputDevice, choose_input_device, list_input_devices
from assistant.audio.sources import AudioSource, MicSource, WavSource, load_audio

__all__ = [
    "AudioSource", "InputDevice", "MicSource", "WavSource", "choose_input_device",
    "list_input_devices", "load_audio",
]
