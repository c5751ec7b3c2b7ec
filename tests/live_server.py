"""A real uvicorn server on 127.0.0.1 for any ASGI app, and a wrapper that times each request
inside the server (what the server spent, without the client's share of the round trip)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send


@contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """Run app on a free loopback port in a thread; yield its base URL; stop it after."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class Timed:
    """ASGI wrapper: records (path?query, status, seconds) for every HTTP request it serves."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.records: list[tuple[str, int, float]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [0]

        async def send_status(message: dict) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_status)
        finally:
            target = scope["path"] + "?" + scope["query_string"].decode("latin-1")
            # list.append is atomic: requests finishing in several threads may record at once
            self.records.append((target, status[0], time.perf_counter() - start))
