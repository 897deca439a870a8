"""Model versions and the promotion gate.

Layout: ``settings.home / "models" / <use_case> / vNNNN / {model.joblib, version.json}`` and
``settings.home / "models" / <use_case> / registry.json`` (the promoted version and the history
of gate decisions). A version is never overwritten; a refused version stays on disk, unpromoted,
and the previously promoted version stays in use.

The gate (``gate_decision``) promotes a version only if, out of time, it beats the rule baseline
on PR AUC and on precision at the operating point's review-list size (100), AND every gated
fairness ratio (TPR, FPR, precision to the reference group) is within
``PredictionConfig.fairness_ratio_bounds`` for groups large enough to judge
(``fairness_min_group_rows``, ``fairness_min_denominator``). Otherwise it is refused with reasons.
"""

from __future__ import annotations

import json
import logging
import math
import os
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

from youth_safety.config import REPO_ROOT, PredictionConfig, Settings
from youth_safety.prediction import explain
from youth_safety.prediction.evaluation import out_of_bounds
from youth_safety.prediction.use_cases import get_use_case

log = logging.getLogger(__name__)

METADATA_KEYS = (
    "use_case", "version", "created_at", "code_version", "seed", "features", "exclusions",
    "training_window", "test_window", "model_type", "metrics", "calibration", "fairness",
    "coefficients", "gate",
)


def use_case_dir(settings: Settings, use_case: str) -> Path:
    return settings.home / "models" / get_use_case(use_case).name


def code_version() -> str:
    """The git commit of the repository, or "unknown"."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
        return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _json_safe(value):
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(float(value)) else None
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def gate_decision(model_metrics: dict, baseline_metrics: dict, fairness: list[dict], config: PredictionConfig) -> dict:
    """{promoted, reasons}: beats the baseline out of time AND every gated fairness ratio in bounds."""
    reasons: list[str] = []
    refused = False
    k = str(config.operating_point_top_k)

    def compare(name: str, model_value, baseline_value) -> None:
        nonlocal refused
        if model_value is None or baseline_value is None:
            refused = True
            reasons.append(f"{name} cannot be established out of time (model {model_value}, baseline {baseline_value})")
        elif model_value > baseline_value:
            reasons.append(f"{name} {model_value:.3f} beats the rule baseline's {baseline_value:.3f}")
        else:
            refused = True
            reasons.append(f"{name} {model_value:.3f} does not beat the rule baseline's {baseline_value:.3f}")

    compare("PR AUC", model_metrics.get("pr_auc"), baseline_metrics.get("pr_auc"))
    compare(f"precision@{k}", (model_metrics.get("at_k", {}).get(k) or {}).get("precision"),
            (baseline_metrics.get("at_k", {}).get(k) or {}).get("precision"))

    low, high = config.fairness_ratio_bounds
    outside = out_of_bounds(fairness, config)
    for o in outside:
        refused = True
        ratio = "not computable" if o["ratio"] is None else f"{o['ratio']:.2f}"
        reasons.append(
            f"fairness: {o['metric']} ratio of {o['dimension']}={o['group']} to {o['reference']} is {ratio}, "
            f"outside [{low}, {high}] (group rows {o['count']})"
        )
    if not outside:
        judged = sum(1 for r in fairness for g in r["gated"].values() if g)
        reasons.append(f"fairness: all {judged} gated ratios within [{low}, {high}]")
    return {"promoted": not refused, "reasons": reasons}


@dataclass
class ModelVersion:
    """A stored version: ``metadata`` (version.json), ``predict`` and ``reasons``."""

    path: Path
    metadata: dict
    model: object = field(repr=False)

    @property
    def version(self) -> str:
        return self.metadata["version"]

    @property
    def use_case(self) -> str:
        return self.metadata["use_case"]

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Scores (probabilities of the outcome) for the rows of a cohort frame."""
        return self.model.predict(frame)

    def reasons(self, frame: pd.DataFrame, top: int | None = None) -> list[list[str]]:
        """Plain-words top contributing factors for every row (never empty)."""
        return explain.reasons(self.model, frame, top=top or int(self.metadata.get("reasons_per_row", 3)))


def _read_registry(settings: Settings, use_case: str) -> dict:
    path = use_case_dir(settings, use_case) / "registry.json"
    if path.exists():
        return json.loads(path.read_text())
    return {"use_case": get_use_case(use_case).name, "promoted_version": None, "history": []}


def _write_json(path: Path, payload: dict) -> None:
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(_json_safe(payload), indent=2, sort_keys=False) + "\n")
    os.replace(tmp, path)


def next_version(settings: Settings, use_case: str) -> str:
    base = use_case_dir(settings, use_case)
    existing = [int(p.name[1:]) for p in base.glob("v[0-9][0-9][0-9][0-9]") if p.is_dir()] if base.exists() else []
    return f"v{max(existing, default=0) + 1:04d}"


def save_version(settings: Settings, use_case: str, model, metadata: dict) -> ModelVersion:
    """Write a new vNNNN folder with model.joblib and version.json (metadata gets its version)."""
    name = get_use_case(use_case).name
    base = use_case_dir(settings, name)
    base.mkdir(parents=True, exist_ok=True)
    version = next_version(settings, name)
    path = base / version
    path.mkdir()
    metadata = {**metadata, "use_case": name, "version": version}
    joblib.dump(model, path / "model.joblib")
    _write_json(path / "version.json", metadata)
    log.info("%s: saved version %s", name, version)
    return ModelVersion(path=path, metadata=_json_safe(metadata), model=model)


def record_decision(settings: Settings, version: ModelVersion) -> dict:
    """Apply the version's recorded gate decision to registry.json; returns the registry."""
    registry = _read_registry(settings, version.use_case)
    gate = version.metadata["gate"]
    previous = registry.get("promoted_version")
    if gate["promoted"]:
        registry["promoted_version"] = version.version
    registry["history"].append({
        "version": version.version,
        "decided_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "promoted": bool(gate["promoted"]),
        "promoted_version_after": registry["promoted_version"],
        "previous_promoted_version": previous,
        "reasons": gate["reasons"],
    })
    _write_json(use_case_dir(settings, version.use_case) / "registry.json", registry)
    if gate["promoted"]:
        log.info("%s: %s promoted", version.use_case, version.version)
    else:
        log.warning("%s: %s refused promotion (kept %s): %s", version.use_case, version.version, previous,
                    "; ".join(gate["reasons"]))
    return registry


def load_version(settings: Settings, use_case: str, version: str) -> ModelVersion:
    path = use_case_dir(settings, use_case) / version
    metadata = json.loads((path / "version.json").read_text())
    return ModelVersion(path=path, metadata=metadata, model=joblib.load(path / "model.joblib"))


def promoted(settings: Settings, use_case: str) -> ModelVersion | None:
    """The promoted version of a use case, or None when no version has passed the gate."""
    version = _read_registry(settings, use_case).get("promoted_version")
    return load_version(settings, use_case, version) if version else None


def registry(settings: Settings, use_case: str) -> dict:
    """The use case's registry.json content (promoted version, history of decisions)."""
    return _read_registry(settings, use_case)
