"""Account numbers encrypted at rest: Fernet tokens under ``BANK_DETAILS_KEYS`` (the first
key encrypts; every key decrypts, so a new key can be put first and the numbers
re-encrypted under it with ``manage.py rotate_bank_key`` before the old one is dropped)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from avataq.errors import AvataqError


class UnreadableNumber(AvataqError):
    """A stored number none of the configured keys decrypts (a key dropped too early)."""

    code = "unreadable_number"


def keyring() -> MultiFernet:
    """The configured keys, read when asked (never at import time)."""
    return MultiFernet([Fernet(key) for key in settings.BANK_DETAILS_KEYS])


def encrypt(number: str, ring: MultiFernet | None = None) -> str:
    return (ring or keyring()).encrypt(number.encode()).decode("ascii")


def decrypt(token: str, ring: MultiFernet | None = None) -> str:
    try:
        return (ring or keyring()).decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise UnreadableNumber("no configured BANK_DETAILS_KEYS key decrypts this number") from None


def reencrypt(token: str, ring: MultiFernet) -> str:
    """The same number under the first key (a token already under it is renewed too)."""
    try:
        return ring.rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise UnreadableNumber("no configured BANK_DETAILS_KEYS key decrypts this number") from None
