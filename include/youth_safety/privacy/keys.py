"""The HMAC key that pseudonymises identifiers: load it, make a development one, name it.

The deployment injects the key as ``YOUTH_SAFETY_HMAC_KEY`` (hex or base64 text), or
keeps it in a secret store that Airflow's secrets backend reads (``youth_safety_hmac_key``);
otherwise it is read from ``<home>/secrets/hmac.key``, holding the same text, which only
its owner may read. The key never enters a message,
a repr or a log: errors name the path and mode only, and the key's repr is its ``key_id``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import stat
from collections.abc import Callable
from pathlib import Path

from youth_safety.config import Settings

ENV_VAR = "YOUTH_SAFETY_HMAC_KEY"
SECRET_NAME = "youth_safety_hmac_key"  # the name looked up in a secret store (an Airflow secrets backend)
MIN_KEY_BYTES = 32
HEX_RE = re.compile(r"^(?:[0-9a-fA-F]{2})+$")


class SecretKeyError(RuntimeError):
    """The key is missing, malformed, too short or too openly stored."""


class SecretKey(bytes):
    """Key bytes whose repr and str show only the key id."""

    def __repr__(self) -> str:
        return f"SecretKey(id={key_id(self)})"

    __str__ = __repr__


def key_path(settings: Settings) -> Path:
    """Where the key file lives when the environment does not supply one."""
    return settings.home / "secrets" / "hmac.key"


def key_id(key: bytes) -> str:
    """A short fingerprint recording which key made a token; it does not reveal the key."""
    return hmac.new(key, b"key-id", hashlib.sha256).hexdigest()[:8]


def load_key(settings: Settings, secret: Callable[[str], str | None] | None = None) -> bytes:
    """The key from the environment variable, else a secret store, else the owner-only key file.

    ``secret`` looks a name up in a secret store: inside Airflow, ``Variable.get`` goes
    through the configured secrets backend (``SECRET_NAME``), so the key can live in
    Vault or a cloud secret manager rather than on disk.
    """
    if ENV_VAR in os.environ:
        return decode_key(os.environ[ENV_VAR], f"environment variable {ENV_VAR}")
    stored = secret(SECRET_NAME) if secret else None
    if stored:
        return decode_key(stored, f"secret {SECRET_NAME}")
    return decode_key(_read_private(key_path(settings)), str(key_path(settings)))


def ensure_development_key(settings: Settings) -> tuple[Path, bool]:
    """Create a random key file (0600, folder 0700) unless one exists; never overwrite."""
    path = key_path(settings)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path, False
    with os.fdopen(fd, "w") as fh:
        fh.write(new_key().hex() + "\n")
    return path, True


def write_key_file(path: Path, key: bytes) -> None:
    """Replace the key file atomically with a new key (0600), as rotation does."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged = path.with_name(path.name + ".new")
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    os.replace(staged, path)


def new_key() -> SecretKey:
    """A fresh random key."""
    return SecretKey(secrets.token_bytes(MIN_KEY_BYTES))


def _read_private(path: Path) -> str:
    """The key file's text, refused when group or others may read or write it."""
    try:
        with open(path, encoding="ascii") as fh:
            mode = stat.S_IMODE(os.fstat(fh.fileno()).st_mode)
            if mode & 0o077:
                raise SecretKeyError(f"{path}: key file has mode {mode:04o}; it must be 0600 or stricter")
            return fh.read()
    except FileNotFoundError:
        raise SecretKeyError(f"no key: set {ENV_VAR} or create {path} (mode 0600)") from None
    except UnicodeDecodeError:
        raise SecretKeyError(f"{path}: key file is not hex or base64 text") from None


def decode_key(text: str, origin: str) -> SecretKey:
    """Hex or base64 text to key bytes of at least ``MIN_KEY_BYTES``."""
    text = text.strip()
    try:
        key = bytes.fromhex(text) if HEX_RE.match(text) else base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SecretKeyError(f"{origin}: key is not hex or base64 text") from None
    if len(key) < MIN_KEY_BYTES:
        raise SecretKeyError(f"{origin}: key is {len(key)} bytes; at least {MIN_KEY_BYTES} are needed")
    return SecretKey(key)
