"""What a training run decided, per use case: the newest version, its headline metrics, promoted or not and why.

Written to ``<home>/reports/models/decisions_<date>.json`` (and ``decisions_latest.json``),
beside the model cards; the ``train`` command prints it and the weekly DAG logs it.
Headlines only, never a row about a child.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from youth_safety.config import Settings
from youth_safety.prediction.card import at_k, card_path, cards_dir, version_metadata
from youth_safety.prediction.use_cases import USE_CASES


@dataclass(frozen=True)
class Decision:
    """What a training run decided for one use case."""

    use_case: str
    version: str
    model_type: str
    roc_auc: float | None
    pr_auc: float | None
    precision_at_100: float | None
    baseline_precision_at_100: float | None
    promoted: bool
    reasons: list[str]
    card: str

    @classmethod
    def of(cls, settings: Settings, metadata: Mapping[str, Any]) -> "Decision":
        model, baseline = metadata["metrics"]["model"], metadata["metrics"]["baseline"]
        gate = metadata["gate"]
        use_case, version = str(metadata["use_case"]), str(metadata["version"])
        return cls(use_case, version, str(metadata["model_type"]), model.get("roc_auc"), model.get("pr_auc"),
                   at_k(model, "precision", 100), at_k(baseline, "precision", 100), bool(gate["promoted"]),
                   [str(r) for r in gate.get("reasons") or []],
                   str(card_path(settings, use_case, version).relative_to(settings.reports_dir)))


def latest_decisions(settings: Settings, use_cases: Iterable[str] = tuple(USE_CASES)) -> list[Decision]:
    """The decision on the newest version of each use case that has one."""
    return [Decision.of(settings, versions[-1]) for use_case in use_cases if (versions := version_metadata(settings, use_case))]


def write_decisions(settings: Settings, decisions: list[Decision], night: str) -> Path:
    """The run's decisions as JSON: ``decisions_<night>.json`` and ``decisions_latest.json``."""
    folder = cards_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"night": night, "decisions": [asdict(d) for d in decisions]}, indent=2) + "\n"
    path = folder / f"decisions_{night}.json"
    path.write_text(text)
    (folder / "decisions_latest.json").write_text(text)
    return path
