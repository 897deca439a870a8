"""Find the files an agency has landed up to a night, in the order they must be loaded."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path

from youth_safety.config import Settings
from youth_safety.contracts import Contract, get_contract

FILE_NAME = re.compile(r"^(?P<extract>[a-z0-9_]+)_(?P<night>\d{8})\.csv$")


class LandingError(ValueError):
    """A landed file or folder does not follow the landing-zone layout."""


@dataclass(frozen=True)
class LandedFile:
    """One extract file as it sits in the landing zone."""

    path: Path
    name: str  # path under the landing zone: <source>/<delivery night>/<file>
    contract: Contract
    delivered_night: date
    extract_night: date

    @cached_property
    def checksum(self) -> str:
        """sha256 of the file's bytes: the identity that makes reloads no-ops."""
        digest = hashlib.sha256()
        with open(self.path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()

    @property
    def load_id(self) -> str:
        return f"{self.contract.name}.{self.extract_night.isoformat()}.{self.checksum[:12]}"


def _night(text: str, fmt: str, where: Path) -> date:
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        raise LandingError(f"{where}: {text!r} is not a night in the form {fmt}") from None


def _landed_file(settings: Settings, path: Path, source: str, delivered_night: date) -> LandedFile:
    match = FILE_NAME.match(path.name)
    if not match:
        raise LandingError(f"{path}: file name must be <extract>_<YYYYMMDD>.csv")
    try:
        contract = get_contract(source, match["extract"])
    except KeyError:
        raise LandingError(f"{path}: no contract for extract {source}.{match['extract']}") from None
    extract_night = _night(match["night"], "%Y%m%d", path)
    if extract_night > delivered_night:
        raise LandingError(f"{path}: covers night {extract_night} but was delivered on {delivered_night}")
    return LandedFile(path, str(path.relative_to(settings.landing_dir)), contract, delivered_night, extract_night)


def landed_files(settings: Settings, source: str, night: date) -> list[LandedFile]:
    """Every CSV the source delivered in folders dated on or before ``night``.

    Ordered by delivery night, then extract night, then extract name, so a snapshot
    delivered later is loaded later (and wins downstream).
    """
    source_dir = settings.landing_dir / source
    if not source_dir.is_dir():
        return []
    found = []
    for folder in source_dir.iterdir():
        delivered = _night(folder.name, "%Y-%m-%d", folder)
        if delivered <= night:
            found += [_landed_file(settings, p, source, delivered) for p in folder.glob("*.csv")]
    return sorted(found, key=lambda f: (f.delivered_night, f.extract_night, f.contract.extract))
