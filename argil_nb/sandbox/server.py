"""The HTTP layer: a threaded HTTP/1.1 server that tracks its connections, and the handler.

The handler only moves bytes: it reads the request, asks ``App.handle`` for a ``Response``
and writes it with an exact Content-Length, so pooled clients keep their connections.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .app import App, Request
from .responses import Response, error_response

__all__ = ["SandboxHTTPServer"]

log = logging.getLogger("argil_nb.sandbox")

MAX_BODY = 1 << 20


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "argil-sandbox/1"
    sys_version = ""
    timeout = 30  # idle keep-alive connections give their thread back eventually
    disable_nagle_algorithm = True  # headers and body go out in two writes
    server: SandboxHTTPServer

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        # Quiet by default; the request line never holds the key (it is a header).
        log.debug("%s " + format, self.address_string(), *args)

    def _dispatch(self) -> None:
        path, _, query = self.path.partition("?")
        length_text = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") or (length_text and not length_text.isdigit()):
            self.close_connection = True  # cannot find where the body ends
            self._write(error_response(411, "Send a body with a Content-Length"))
            return
        length = int(length_text or 0)
        if length > MAX_BODY:
            self.close_connection = True
            self._write(error_response(413, f"Body larger than {MAX_BODY} bytes"))
            return
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=path,
            query=query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            origin=self.server.origin,
        )
        self._write(self.server.app.handle(request))

    def _write(self, response: Response) -> None:
        if response.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(response.status)
        if response.content_type is not None:
            self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if response.status != 204 and "content-length" not in {k.lower() for k in response.headers}:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.status != 204 and response.body:
            self.wfile.write(response.body)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = _dispatch

    def __getattr__(self, name: str) -> Any:
        # http.server answers a method without a do_* handler (TRACE, FOO) with an HTML 501;
        # the App answers every method, with a JSON 405 where the route lacks it.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)


class SandboxHTTPServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer that knows its open connections, to close them on stop.

    Parameters
    ----------
    address : tuple
        ``(host, port)``; port 0 picks a free one.
    app : App
        Answers the requests.
    """

    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App) -> None:
        self.app = app
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)
        self.origin = f"http://{self.server_name}:{self.server_port}"

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a DNS lookup that can take seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host.decode() if isinstance(host, bytes) else str(host)
        self.server_port = int(port)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        self.app.stats.connection()
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut every open connection down, waking the threads blocked reading them."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients vanish mid-request all the time (timeouts, stop()): not worth a traceback.
        log.debug("error while handling a request from %s", client_address, exc_info=True)
