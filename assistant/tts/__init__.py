"""Speech output: the text chunker and the TTS engines behind one interface.

`chunker.Chunker` cuts the LLM token stream into speakable chunks; `factory.make_tts` builds
the configured engine (espeak-ng through pyttsx3 by default, piper optionally), wrapped in an
audio cache. Engines are imported lazily so that importing this package stays cheap.
"""
