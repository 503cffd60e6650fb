"""The local API inside the desktop app (the setting `api.enabled`): the same server as
`voice-assistant serve`, on a thread, whose default conversation is the app's own. Its
engine sets load when a client first needs one, so the app starts no slower."""

from __future__ import annotations

from typing import Callable

from assistant.errors import UserError


class ApiService:
    def __init__(self, settings, history: Callable[[object], object],
                 notify: Callable[[str, str], None], skills: Callable[[], object] | None = None):
        self.settings = settings.copy()
        self.history = history
        self.skills = skills  # the app's local skills: /v1/reply sets the app's timers
        self.notify = notify
        self.server = None
        self.pool = None

    def start(self) -> bool:
        from assistant.server.api_token import api_token, token_file
        from assistant.server.app import Api, build_app
        from assistant.server.host import ApiServer, bind
        from assistant.server.pool import EnginePool

        try:
            token = api_token()
            sock = bind(self.settings.api.port)
        except UserError as exc:
            self.notify(f"The local API is not served: {exc}", "warning")
            return False
        self.pool = EnginePool(self.settings)
        api = Api(settings=self.settings, token=token, pool=self.pool,
                  port=sock.getsockname()[1], history=self.history, skills=self.skills)
        self.server = ApiServer(build_app(api), sock)
        self.server.start_in_thread()
        self.notify(f"The local API is on {self.server.url} (token in {token_file()}).", "info")
        return True

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None
        if self.pool is not None:
            self.pool.close()
            self.pool = None
