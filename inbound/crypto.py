"""Mailbox credentials encrypted at rest with Fernet (cryptography).

The key comes from the environment (`MAILBOX_SECRET_KEYS`: one or more Fernet keys,
comma-separated, the first encrypts and all decrypt, so a key can be rotated). Without it a
key is derived from SECRET_KEY, which is fine for development only.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


def _fernet() -> MultiFernet:
    keys = [key.strip() for key in settings.MAILBOX_SECRET_KEYS if key.strip()]
    if not keys:
        digest = hashlib.sha256(("mailbox:" + settings.SECRET_KEY).encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """The clear text, or "" when there is none. ValueError when no key decrypts it."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("the mailbox secret does not decrypt with MAILBOX_SECRET_KEYS") from None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
