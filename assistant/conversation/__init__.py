"""The conversation loop: listen, answer, speak, be interrupted, on one control lane (see
docs/ARCHITECTURE.md). `wiring.build_conversation` builds one; `session.Session` runs one on
live devices, `replay.run_replay` on a file."""
