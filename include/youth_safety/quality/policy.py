"""Per-source gate settings from ``gates.yml``: volume thresholds, always-has-rows, severities."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from youth_safety.config import SOURCES
from youth_safety.quality.rules import CATALOGUE, SEVERITIES

GATES_PATH = Path(__file__).with_name("gates.yml")


@dataclass(frozen=True)
class VolumeThreshold:
    recent_nights: int
    min_history: int
    min_median_rows: int
    drop_below: float
    spike_above: float


@dataclass(frozen=True)
class SourcePolicy:
    source: str
    volume: VolumeThreshold
    always_has_rows: frozenset[str]
    severity: dict[str, str]

    def severity_of(self, code: str) -> str:
        return self.severity.get(code, CATALOGUE[code].severity)


@cache
def policies(path: Path = GATES_PATH) -> dict[str, SourcePolicy]:
    raw = yaml.safe_load(path.read_text())
    defaults = raw["defaults"]
    out = {}
    for source in SOURCES:
        entry = raw["sources"].get(source) or {}
        severity = {**defaults["severity"], **entry.get("severity", {})}
        for code, level in severity.items():
            if code not in CATALOGUE or level not in SEVERITIES:
                raise ValueError(f"{path}: {source}: bad severity override {code}: {level}")
        out[source] = SourcePolicy(
            source=source,
            volume=VolumeThreshold(**{**defaults["volume"], **entry.get("volume", {})}),
            always_has_rows=frozenset(entry.get("always_has_rows", defaults["always_has_rows"])),
            severity=severity,
        )
    return out
