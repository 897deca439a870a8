"""The register of processing per source (lawful basis, Article 9 condition, retention), and
how long landed files stay in the landing zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import yaml

from youth_safety.config import SOURCES

REGISTER_PATH = Path(__file__).with_name("register.yml")
LANDED_FILE_ACTIONS = ("archive", "delete")


def years_before(night: date, years: int) -> date:
    """The same day ``years`` earlier (29 February becomes 28 February), as pandas' DateOffset does."""
    try:
        return night.replace(year=night.year - years)
    except ValueError:
        return night.replace(year=night.year - years, day=28)


@dataclass(frozen=True)
class Processing:
    source: str
    controller: str
    lawful_basis: str
    article9_condition: str | None
    purpose: str
    retention_years: int

    def retention_cutoff(self, night: date) -> date:
        """Records dated before this day are past retention on ``night`` (GDPR-RETENTION and the purge)."""
        return years_before(night, self.retention_years)


@dataclass(frozen=True)
class LandedFilesPolicy:
    keep_days: int  # judged files delivered more than this many nights ago leave the landing zone
    then: str  # archive (moved to <home>/archive, owner-only) | delete


@cache
def _raw(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@cache
def register(path: Path = REGISTER_PATH) -> dict[str, Processing]:
    raw = _raw(path)["sources"]
    if missing := set(SOURCES) - set(raw):
        raise ValueError(f"{path}: no register entry for {sorted(missing)}")
    return {
        source: Processing(
            source=source,
            controller=entry["controller"],
            lawful_basis=entry["lawful_basis"],
            article9_condition=entry.get("article9_condition") or None,
            purpose=entry["purpose"],
            retention_years=int(entry["retention_years"]),
        )
        for source, entry in raw.items()
    }


@cache
def landed_files_policy(path: Path = REGISTER_PATH) -> LandedFilesPolicy:
    raw = _raw(path)["landed_files"]
    policy = LandedFilesPolicy(keep_days=int(raw["keep_days"]), then=raw["then"])
    if policy.then not in LANDED_FILE_ACTIONS or policy.keep_days < 0:
        raise ValueError(f"{path}: landed_files needs keep_days >= 0 and then one of {LANDED_FILE_ACTIONS}")
    return policy
