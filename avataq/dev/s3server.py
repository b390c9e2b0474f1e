"""The S3-compatible test server: s3rver (from the npm registry, `package.json`), which
checks request signatures and presigned URLs' expiry, on a free loopback port."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
PACKAGE = BASE_DIR / "node_modules" / "@20minutes" / "s3rver"
# The fork of s3rver that verifies SigV4 signatures (the original only checks expiry).
# Its canonical query string uses JavaScript's encodeURIComponent, which leaves !'()*
# unescaped where SigV4 (RFC 3986) escapes them: every presigned URL carrying
# `filename*=utf-8''…` would be refused. Making the global strict fixes the server's
# canonicalisation without touching its code.
LAUNCHER = """
const strict = encodeURIComponent;
globalThis.encodeURIComponent = (value) => strict(value).replace(
  /[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
const S3rver = require('@20minutes/s3rver');
new S3rver(JSON.parse(process.argv[1])).run().catch((error) => {
  console.error(error); process.exit(1);
});
"""
# s3rver's fixed development credentials (not a secret: they open nothing else).
ACCESS_KEY = "S3RVER"
SECRET_KEY = "S3RVER"  # noqa: S105


@dataclass
class S3Server:
    process: subprocess.Popen
    endpoint: str
    directory: tempfile.TemporaryDirectory

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.directory.cleanup()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start() -> S3Server | str:
    """A running server, or the reason there is none."""
    node = shutil.which("node")
    if node is None or not PACKAGE.exists():
        return "s3rver is not installed (npm ci needs Node.js and npm)"
    directory = tempfile.TemporaryDirectory(prefix="avataq-s3-")
    port = _free_port()
    options = {
        "address": "127.0.0.1",
        "port": port,
        "directory": directory.name,
        "silent": True,
        "vhostBuckets": False,
    }
    process = subprocess.Popen(
        [node, "-e", LAUNCHER, json.dumps(options)], cwd=BASE_DIR, stdout=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            directory.cleanup()
            return f"s3rver exited at start (code {process.returncode})"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return S3Server(process, f"http://127.0.0.1:{port}", directory)
        except OSError:
            time.sleep(0.1)
    process.kill()
    directory.cleanup()
    return "s3rver did not answer within 20 s"
