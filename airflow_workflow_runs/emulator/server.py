"""HTTP/1.1 listeners: a ``ThreadingHTTPServer`` per port, one handler class for both schemes.

The handler only does HTTP framing (body reading, Content-Length, keep-alive) and hands a
:class:`~.wire.Request` to the dispatcher. TLS is negotiated in the connection's own thread, not
in the accept loop, so a stalled handshake cannot block other clients. Open connections are
tracked so :meth:`Listener.stop` can cut idle keep-alive sockets at once instead of waiting for
their read timeout.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import socketserver
import ssl
import threading
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .dispatch import Dispatcher
from .wire import Request

log = logging.getLogger(__name__)

IDLE_TIMEOUT = 60.0  # seconds a kept-alive connection may sit idle
HANDSHAKE_TIMEOUT = 10.0
MAX_BODY = 64 * 1024 * 1024


def _headers(message: Message) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in message.items():
        key = name.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


class _BadRequest(Exception):
    pass


class _Handler(BaseHTTPRequestHandler):
    """Parses one request at a time off a (possibly kept-alive) connection."""

    protocol_version = "HTTP/1.1"
    server_version = "airflow-workflow-runs-emulator/1"
    sys_version = ""
    timeout = IDLE_TIMEOUT
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms stalls
    server: _Server
    connection_id = 0

    def setup(self) -> None:
        super().setup()
        self.connection_id = self.server.next_connection_id()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError as exc:
                raise _BadRequest("bad chunk size") from exc
            if size == 0:
                while self.rfile.readline(8192).strip():  # trailers
                    pass
                return b"".join(chunks)
            total += size
            if size < 0 or total > MAX_BODY:
                raise _BadRequest("body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(8)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        raw = self.headers.get("Content-Length")
        if raw is None:
            return b""
        try:
            length = int(raw)
        except ValueError as exc:
            raise _BadRequest("bad Content-Length") from exc
        if not 0 <= length <= MAX_BODY:
            raise _BadRequest("bad Content-Length")
        body = self.rfile.read(length)
        if len(body) != length:
            raise _BadRequest("body shorter than Content-Length")
        return body

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except _BadRequest as exc:
            self.close_connection = True
            self.send_error(400, str(exc))
            return
        split = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=split.path or "/",
            query=parse_qs(split.query, keep_blank_values=True),
            headers=_headers(self.headers),
            body=body,
            scheme=self.server.scheme,
            connection=self.connection_id,
        )
        response = self.server.dispatcher.handle(request)
        if response.drop:
            self.close_connection = True
            return
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _serve


class _Server(ThreadingHTTPServer):
    """A threading server that wraps TLS per connection and can drop all connections at once."""

    daemon_threads = True
    request_queue_size = 1024  # the listen backlog: a benchmark opens ~1000 connections at once

    def __init__(
        self,
        address: tuple[str, int],
        dispatcher: Dispatcher,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.dispatcher = dispatcher
        self.ssl_context = ssl_context
        self.scheme = "https" if ssl_context else "http"
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._ids = itertools.count(1)
        self._closing = False
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn) that can stall; skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def next_connection_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def finish_request(self, request: Any, client_address: Any) -> None:
        sock: socket.socket = request
        if self.ssl_context is not None:
            try:
                sock.settimeout(HANDSHAKE_TIMEOUT)
                sock = self.ssl_context.wrap_socket(sock, server_side=True)
            except OSError as exc:  # ssl.SSLError included: bad client, port scan, wrong CA
                log.debug("TLS handshake with %s failed: %s", client_address, exc)
                return
        with self._lock:
            if self._closing:
                return
            self._connections.add(sock)
        try:
            super().finish_request(sock, client_address)
        finally:
            with self._lock:
                self._connections.discard(sock)
            if sock is not request:
                sock.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("connection from %s ended with an error", client_address, exc_info=True)

    def close_connections(self) -> None:
        """Shut down every open connection so their handler threads return now."""
        with self._lock:
            self._closing = True
            connections = list(self._connections)
        for sock in connections:
            # The plain-socket method: on an SSLSocket it avoids racing the reader thread.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)


class Listener:
    """One bound port served from a daemon thread; binds in the constructor."""

    def __init__(self, host: str, port: int, dispatcher: Dispatcher, ssl_context: ssl.SSLContext | None) -> None:
        self.server = _Server((host, port), dispatcher, ssl_context)
        self._thread = threading.Thread(
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"emulator-{self.server.scheme}-{self.port}",
            daemon=True,
        )

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self.server.shutdown()
        self.server.server_close()
        self.server.close_connections()
        self._thread.join(timeout=5)
