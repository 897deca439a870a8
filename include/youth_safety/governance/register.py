"""The register of processing per source (lawful basis, Article 9 condition, retention)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from youth_safety.config import SOURCES

REGISTER_PATH = Path(__file__).with_name("register.yml")


@dataclass(frozen=True)
class Processing:
    source: str
    controller: str
    lawful_basis: str
    article9_condition: str | None
    purpose: str
    retention_years: int


@cache
def register(path: Path = REGISTER_PATH) -> dict[str, Processing]:
    raw = yaml.safe_load(path.read_text())["sources"]
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
