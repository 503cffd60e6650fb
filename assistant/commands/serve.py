"""The `serve` command: the assistant as a local service on 127.0.0.1 (docs/API.md).

REST for batch work (transcribe, speak, reply) and a WebSocket for live conversations, on
Starlette and uvicorn. The models load before the URL is printed, so the first request does
not wait for them. Every request but `GET /v1/health` needs the token in the `api-token` file
of the settings folder (made on first use; `--new-token` replaces it).
"""

from __future__ import annotations

import sys

from assistant.errors import UserError


def add_arguments(parser) -> None:
    parser.add_argument("--port", type=int, default=None, metavar="N",
                        help="port on 127.0.0.1 (default: the setting api.port, 8765; "
                             "0: any free port)")
    parser.add_argument("--new-token", action="store_true",
                        help="replace the API token with a new one (clients need the new one)")
    parser.add_argument("--max-conversations", type=int, default=4, metavar="N",
                        help="live conversations at once (default 4); more are refused")


def run(args, settings) -> int:
    from assistant.server.api_token import api_token, token_file
    from assistant.server.app import Api, build_app
    from assistant.server.host import ApiServer, bind
    from assistant.server.pool import EnginePool

    port = settings.api.port if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise UserError(f"--port {port} is not a port; give 1 to 65535, or 0 for any free one.")
    if args.max_conversations < 1:
        raise UserError("--max-conversations takes 1 or more.")
    token = api_token(new=args.new_token)
    sock = bind(port)  # a port in use fails before any model loads
    pool = EnginePool(settings, max_conversations=args.max_conversations)
    try:
        print("Loading the models...", file=sys.stderr, flush=True)
        pool.warm()
        server = ApiServer(build_app(Api(settings=settings, token=token, pool=pool,
                                         port=sock.getsockname()[1])), sock)
        print(f"Serving on {server.url} (token in {token_file()}); "
              f"the page: {server.url}/#token={token}", flush=True)
        try:
            server.run()
        except KeyboardInterrupt:  # Ctrl+C: the conversations were closed with 1001 first
            print("Stopped.", file=sys.stderr)
    finally:
        sock.close()
        pool.close()
    return 0
