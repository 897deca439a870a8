"""Who asks the vault for something and why: every re-identification and erasure names both."""

from __future__ import annotations

import getpass
import os

OPERATOR_VAR = "YOUTH_SAFETY_OPERATOR"
MIN_REASON_CHARS = 10


class RequestRefused(ValueError):
    """A request to the vault lacks what its audit record needs."""


def current_operator() -> str:
    """``$YOUTH_SAFETY_OPERATOR`` (set by whoever runs the tool for a named person), else the OS user."""
    return os.environ.get(OPERATOR_VAR, "").strip() or getpass.getuser()


def checked_reason(reason: str | None) -> str:
    """The reason as it will be audited; refused when missing or too short to say anything."""
    text = " ".join((reason or "").split())
    if len(text) < MIN_REASON_CHARS:
        raise RequestRefused(f"a reason of at least {MIN_REASON_CHARS} characters is required (what the request is for, "
                             "e.g. the case or request reference); it is recorded in the audit log")
    return text
