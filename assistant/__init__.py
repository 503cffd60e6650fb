"""A local voice assistant: listen, think and speak on the user's own computer."""

from assistant import offline

offline.apply()  # before any engine library loads: see assistant/offline.py

__version__ = "0.1.0"
APP_NAME = "voice-assistant"
