"""Helpers behind `assistant.models`: catalog parsing, model layouts, downloads, safe unpacking
and the registry of installed models. Callers use `assistant.models.ModelManager`."""
