"""Shared test helpers (a local HTTP file server, archive and model builders)."""
