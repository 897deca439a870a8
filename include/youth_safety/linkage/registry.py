"""Saved models: ``<home>/linkage/models/v0001.json`` and a registry naming the current one.

The registry (``registry.json``) lists every version with its training night, record count
and the SHA-256 of its JSON, and names the current version. The model JSON holds comparison
definitions and m/u parameters only, never a value from the data; the term frequencies it
was trained with stay in the vault (``link_term_frequencies``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ModelVersion:
    version: str
    trained_night: str
    records: int
    sha256: str
    file: str
    facts: dict[str, Any]


def models_dir(home: Path) -> Path:
    return home / "linkage" / "models"


def _registry_path(home: Path) -> Path:
    return models_dir(home) / "registry.json"


def _read(home: Path) -> dict[str, Any]:
    path = _registry_path(home)
    return json.loads(path.read_text()) if path.exists() else {"current": None, "versions": []}


def model_json(model: dict[str, Any]) -> str:
    """The canonical text of a model: sorted keys, so equal models give equal files."""
    return json.dumps(model, indent=2, sort_keys=True) + "\n"


def save(home: Path, model: dict[str, Any], night: date, records: int, facts: dict[str, Any]) -> ModelVersion:
    """Write the next version's JSON and make it current."""
    registry = _read(home)
    version = f"v{len(registry['versions']) + 1:04d}"
    text = model_json(model)
    folder = models_dir(home)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{version}.json").write_text(text)
    entry = ModelVersion(version, night.isoformat(), records, hashlib.sha256(text.encode()).hexdigest(),
                         f"{version}.json", facts)
    registry["versions"].append(asdict(entry))
    registry["current"] = version
    _registry_path(home).write_text(json.dumps(registry, indent=2) + "\n")
    return entry


def versions(home: Path) -> list[ModelVersion]:
    """Every saved version, oldest first."""
    return [ModelVersion(**entry) for entry in _read(home)["versions"]]


def current(home: Path) -> ModelVersion | None:
    """The current version, or None before the first training."""
    name = _read(home)["current"]
    return next((v for v in versions(home) if v.version == name), None)


def load(home: Path, version: ModelVersion) -> dict[str, Any]:
    """A version's model, refused if its file no longer matches the registered hash."""
    text = (models_dir(home) / version.file).read_text()
    if hashlib.sha256(text.encode()).hexdigest() != version.sha256:
        raise ValueError(f"linkage model {version.version} does not match its registered SHA-256")
    return json.loads(text)
