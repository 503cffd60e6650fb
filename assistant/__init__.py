"""A local voice assistant: listen, think and speak on the user's own computer."""

__version__ = "0.1.0"
APP_NAME = "voice-assistant"
