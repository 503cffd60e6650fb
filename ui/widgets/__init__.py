"""Widgets of the main window; each one is fed plain values or core events by its owner."""
