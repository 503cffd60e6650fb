"""The assistant as a local service on 127.0.0.1: REST for batch work (transcribe, speak,
reply) and a WebSocket for a live conversation (docs/API.md)."""
