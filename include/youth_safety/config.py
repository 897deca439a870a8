"""Where everything lives: the one place paths and settings are decided.

Runtime data sits under one home, ``./var`` by default, overridable with
``YOUTH_SAFETY_HOME``. Code and project files are found relative to the repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = Path(__file__).resolve().parent
CONTRACTS_DIR = PACKAGE_DIR / "contracts"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
CODES_DIR = DBT_PROJECT_DIR / "seeds" / "codes"
REFERENCE_DIR = DBT_PROJECT_DIR / "seeds" / "reference"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"

SOURCES = ("education", "social_care", "yos", "police", "health")
TIMEZONE = "Europe/London"
WAREHOUSE_WRITER_POOL = "warehouse_writer"


@dataclass(frozen=True)
class Settings:
    """Paths under the data home."""

    home: Path

    @classmethod
    def from_env(cls) -> "Settings":
        home = os.environ.get("YOUTH_SAFETY_HOME") or str(REPO_ROOT / "var")
        return cls(home=Path(home).resolve())

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    @property
    def warehouse_path(self) -> Path:
        return self.home / "warehouse" / "partnership.duckdb"

    @property
    def archive_dir(self) -> Path:
        """Landed files moved out of the landing zone once judged and kept a while (owner-only)."""
        return self.home / "archive"

    @property
    def truth_dir(self) -> Path:
        return self.home / "truth"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt" / "target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.home / "dbt" / "logs"

    @property
    def vault_path(self) -> Path:
        """The identity vault: direct identifiers, apart from the warehouse, with its own access path."""
        return self.home / "vault" / "identity.duckdb"

    @property
    def opt_out_path(self) -> Path:
        """People whose objection to the processing is upheld (kept outside the warehouse)."""
        return self.home / "governance" / "opt_out.csv"

    def landing_night_dir(self, source: str, night: str) -> Path:
        """Folder the agency drops its files into for one delivery night (YYYY-MM-DD)."""
        return self.landing_dir / source / night
