"""Dependencies that fail on purpose, for the fault tests: a TCP proxy in front of a real
server (S3, Redis…) that can pass traffic, refuse it, hang, or forward a request and drop
its answer — the server did the work, the client never hears of it.

    proxy = FaultProxy("127.0.0.1", 9000)      # listens on proxy.port
    proxy.mode = "drop_response"               # "pass" | "refuse" | "hang" | "drop_response"
    proxy.drop_after = lambda request: b"PUT " in request   # only some requests
    proxy.close()

Each TCP connection is judged by its first request (clients reuse connections): set the
mode before the client connects, or give the client a fresh connection.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

MODES = ("pass", "refuse", "hang", "drop_response")


class FaultProxy:
    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.mode = "pass"
        # In drop_response mode, which requests lose their answer (by their first bytes);
        # the others pass.
        self.drop_after: Callable[[bytes], bool] = lambda request: True
        self.dropped = 0  # answers dropped so far
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for held in self._held:
            held.close()
        self._server.close()

    # --- the proxying -------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            if self.mode == "refuse":
                client.close()
            elif self.mode == "hang":
                self._held.append(client)  # accepted, never answered
            else:
                threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target, timeout=30)
        except OSError:
            client.close()
            return
        client.settimeout(30)
        first = {"seen": False, "drop": False}

        def client_to_upstream() -> None:
            try:
                while chunk := client.recv(65536):
                    if not first["seen"]:
                        first["seen"] = True
                        first["drop"] = self.mode == "drop_response" and self.drop_after(chunk)
                    upstream.sendall(chunk)
            except OSError:
                pass
            finally:
                with contextlib.suppress(OSError):
                    upstream.shutdown(socket.SHUT_WR)

        forward = threading.Thread(target=client_to_upstream, daemon=True)
        forward.start()
        try:
            while chunk := upstream.recv(65536):
                if first["drop"]:
                    # The server has the request (and answers it): the client never hears.
                    self.dropped += 1
                    break
                client.sendall(chunk)
        except OSError:
            pass
        finally:
            for end in (client, upstream):
                with contextlib.suppress(OSError):
                    end.close()
