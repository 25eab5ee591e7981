"""A loopback HTTP server for intake tests: serves feeds and pages, misbehaves on request, and
records every request it receives (path and headers).

It runs its own event loop on a thread, so async tests and CLI tests (which start their own
loop) can both use it. It listens on 127.0.0.1 and a free port unless given another loopback
``host`` (such as 127.0.0.2, for a second server that tests can pretend is public) or a ``port``
(the same port as another server's, so that only the address differs). Nothing here reaches
beyond 127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import format_datetime

from aiohttp import web
from multidict import CIMultiDict

from digests.model import utc_now

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Seen:
    path: str
    headers: Mapping[str, str]


@dataclass
class FeedServer:
    """Routes are set per test; unknown paths answer 404."""

    routes: dict[str, Handler] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    port: int = 0
    _loop: asyncio.AbstractEventLoop | None = None
    _runner: web.AppRunner | None = None
    _thread: threading.Thread = field(init=False)
    #: The loopback address the server listens on.
    host: str = "127.0.0.1"

    def __post_init__(self) -> None:
        if not self.host.startswith("127."):
            raise ValueError(f"the feed server listens on loopback only, not {self.host}")

    def url(self, path: str, host: str | None = None) -> str:
        return f"http://{host or self.host}:{self.port}{path}"

    def requests_to(self, path: str) -> list[Seen]:
        return [item for item in self.seen if item.path == path]

    def route(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def serve(
        self,
        path: str,
        body: bytes | str,
        *,
        content_type: str = "application/rss+xml",
        etag: str | None = None,
        last_modified: bool = False,
        headers: Mapping[str, str] | None = None,
        status: int = 200,
    ) -> str:
        """Serve fixed content; with ``etag``/``last_modified`` it honours conditional GET."""
        data = body.encode() if isinstance(body, str) else body
        stamp = format_datetime(utc_now().replace(microsecond=0), usegmt=True)

        async def handler(request: web.Request) -> web.StreamResponse:
            extra = CIMultiDict(headers or {})
            if etag:
                extra["ETag"] = etag
                if request.headers.get("If-None-Match") == etag:
                    return web.Response(status=304, headers=extra)
            if last_modified:
                extra["Last-Modified"] = stamp
                if request.headers.get("If-Modified-Since") == stamp:
                    return web.Response(status=304, headers=extra)
            return web.Response(body=data, status=status, content_type=content_type, headers=extra)

        return self.route(path, handler)

    def redirect(self, path: str, location: str, *, status: int = 302) -> str:
        """Answer ``path`` with a redirect to ``location`` (absolute or relative)."""

        async def handler(_request: web.Request) -> web.StreamResponse:
            return web.Response(status=status, headers={"Location": location})

        return self.route(path, handler)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(Seen(request.path, dict(request.headers)))
        handler = self.routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="not here")
        return await handler(request)

    def start(self) -> None:
        ready = threading.Event()

        def main() -> None:
            loop = self._loop = asyncio.new_event_loop()
            loop.run_until_complete(self._start())
            ready.set()
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=main, name="feed-server", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the loopback feed server did not start")

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)  # port 0: any free port
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._runner is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
