"""The PySide6 desktop front end. Everything here adapts core events (`assistant.events`) to
widgets; the conversation loop itself lives in `assistant/` and never imports Qt."""
