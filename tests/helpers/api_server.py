"""The real API server in the test's process, on a free port of 127.0.0.1, with real engines
(the English offline default: Whisper tiny, the default LLM, espeak-ng).

    with running_api(settings) as api:
        httpx.post(api.url + "/v1/reply", json={"text": "hi"}, headers=api.headers)
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

import httpx

from assistant.config import Settings


@dataclass
class RunningApi:
    url: str
    token: str
    pool: object
    server: object
    api: object

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://") + "/v1/conversation"


def api_settings(**changes) -> Settings:
    settings = Settings()
    settings.stt.engine = "whisper"
    settings.llm.temperature = 0.0  # the same reply to the same words
    for key, value in changes.items():
        section, name = key.split("__")
        setattr(getattr(settings, section), name, value)
    return settings


@contextlib.contextmanager
def running_api(settings: Settings | None = None, max_conversations: int = 4,
                token: str = "test-token-0123456789", pool=None):
    from assistant.server.app import Api, build_app
    from assistant.server.host import ApiServer, bind
    from assistant.server.pool import EnginePool

    settings = settings or api_settings()
    own_pool = pool is None
    pool = pool or EnginePool(settings, max_conversations=max_conversations)
    sock = bind(0)
    api = Api(settings=settings, token=token, pool=pool, port=sock.getsockname()[1])
    server = ApiServer(build_app(api), sock)
    server.start_in_thread()
    deadline = time.monotonic() + 10
    while True:
        try:
            httpx.get(server.url + "/v1/health", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    try:
        yield RunningApi(url=server.url, token=token, pool=pool, server=server, api=api)
    finally:
        server.stop()
        api.voices.close()
        if own_pool:
            pool.close()
