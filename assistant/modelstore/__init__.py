"""The model store: the catalog (catalog.py), what a model of each kind looks like on disk and
how to check one (layout.py, gguf.py, vosk_check.py), downloads and safe unpacking, the
registry of installed models, and the manager that ties them together (manager.py:
`ModelManager`, the one place that knows where models are and how to get them)."""
