"""Optional client-side encryption of backups (``BACKUP_ENCRYPTION_KEY``: 32 random bytes,
base64). AES-256-GCM over 1 MiB frames, each authenticated, numbered in its nonce, the
last one marked, so a changed, reordered or truncated dump fails to decrypt."""

from __future__ import annotations

import base64
import os
import struct
from collections.abc import Callable, Iterator

from django.conf import settings

from avataq.errors import AvataqError

MAGIC = b"AVQENC1\n"
FRAME = 1024 * 1024
_MORE, _LAST = b"more", b"last"


class DecryptionError(AvataqError, ValueError):
    code = "decryption"


def _key() -> bytes | None:
    raw = settings.BACKUP_ENCRYPTION_KEY
    return base64.b64decode(raw) if raw else None


def enabled() -> bool:
    return _key() is not None


def stream_encryptor() -> Callable[[bytes | None], bytes] | None:
    """A function fed plaintext chunks, then ``None`` to finish; returns ciphertext."""
    key = _key()
    if key is None:
        return None
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead, prefix = AESGCM(key), os.urandom(8)
    state = {"buffer": bytearray(), "counter": 0, "started": False}

    def seal(plain: bytes, aad: bytes) -> bytes:
        nonce = prefix + struct.pack(">I", state["counter"])
        state["counter"] += 1
        sealed = aead.encrypt(nonce, plain, aad)
        return struct.pack(">I", len(sealed)) + sealed

    def feed(chunk: bytes | None) -> bytes:
        out = bytearray()
        if not state["started"]:
            out += MAGIC + prefix
            state["started"] = True
        buffer = state["buffer"]
        if chunk:
            buffer += chunk
        while len(buffer) > FRAME:
            out += seal(bytes(buffer[:FRAME]), _MORE)
            del buffer[:FRAME]
        if chunk is None:
            out += seal(bytes(buffer), _LAST)
            buffer.clear()
        return bytes(out)

    return feed


def decrypting(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """Plaintext of a stored dump: passed through when it was not encrypted."""
    stream = iter(chunks)
    head = bytearray()
    for chunk in stream:
        head += chunk
        if len(head) >= len(MAGIC) + 8:
            break
    if not head.startswith(MAGIC):
        yield bytes(head)
        yield from stream
        return
    key = _key()
    if key is None:
        raise DecryptionError("this backup is encrypted: BACKUP_ENCRYPTION_KEY is needed")
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    aead = AESGCM(key)
    prefix = bytes(head[len(MAGIC) : len(MAGIC) + 8])
    buffer = bytearray(head[len(MAGIC) + 8 :])
    counter, finished = 0, False

    def frames() -> Iterator[bytes]:
        nonlocal counter, finished
        while len(buffer) >= 4:
            (length,) = struct.unpack(">I", buffer[:4])
            if len(buffer) < 4 + length:
                return
            sealed = bytes(buffer[4 : 4 + length])
            del buffer[: 4 + length]
            nonce = prefix + struct.pack(">I", counter)
            counter += 1
            for aad in (_MORE, _LAST):
                try:
                    plain = aead.decrypt(nonce, sealed, aad)
                except InvalidTag:
                    continue
                finished = aad == _LAST
                yield plain
                break
            else:
                raise DecryptionError("a frame of the backup fails authentication")

    yield from frames()
    for chunk in stream:
        if finished:
            raise DecryptionError("data follows the backup's last frame")
        buffer += chunk
        yield from frames()
    if not finished or buffer:
        raise DecryptionError("the backup is truncated")
