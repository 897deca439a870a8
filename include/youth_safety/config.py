"""Where everything lives: the one place paths and settings are decided.

Runtime data sits under one home, ``./var`` by default, overridable with
``YOUTH_SAFETY_HOME``. Code and project files are found relative to the repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from datetime import time
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
NIGHTLY_DAG_ID = "partnership_nightly"
# the nightly run (02:00) waits for each source's files of the night until this London time on the
# night's day, checking every ARRIVAL_POLL_SECONDS; then it goes on and reports what is missing as late
ARRIVAL_CUTOFF = time(5, 0)
ARRIVAL_POLL_SECONDS = 300
# first retry delay of a failed task (doubling, at most 10 minutes); tests shorten it
TASK_RETRY_DELAY_SECONDS = float(os.environ.get("YOUTH_SAFETY_RETRY_DELAY_SECONDS", "30"))
# the most memory DuckDB may hold in a process that writes the warehouse (the load, linkage and dbt);
# past it DuckDB spills to a temporary folder beside the file instead of growing (DuckDB's size syntax)
DUCKDB_MEMORY_LIMIT = os.environ.get("YOUTH_SAFETY_DUCKDB_MEMORY_LIMIT", "2GiB")


@dataclass(frozen=True)
class Settings:
    """Paths under the data home.

    ``building``: inside a build (the nightly run, a purge, an erasure) the warehouse is the
    working copy that ``youth_safety.publish`` swaps in when the build is done; everywhere
    else it is the published file analysts read.
    """

    home: Path
    building: bool = False

    @classmethod
    def from_env(cls) -> "Settings":
        home = os.environ.get("YOUTH_SAFETY_HOME") or str(REPO_ROOT / "var")
        return cls(home=Path(home).resolve())

    @property
    def landing_dir(self) -> Path:
        return self.home / "landing"

    def in_build(self) -> "Settings":
        """These settings inside a build: the warehouse is the working copy."""
        return replace(self, building=True)

    @property
    def warehouse_path(self) -> Path:
        """The warehouse this process reads and writes: the working copy in a build, else the published file."""
        return self.working_warehouse_path if self.building else self.published_warehouse_path

    @property
    def published_warehouse_path(self) -> Path:
        """What analysts open read-only; replaced whole by ``youth_safety.publish``, never written in place by a build."""
        return self.home / "warehouse" / "partnership.duckdb"

    @property
    def working_warehouse_path(self) -> Path:
        return self.home / "warehouse" / "work" / "partnership.duckdb"

    @property
    def previous_warehouse_path(self) -> Path:
        """The version published before the current one (``youth-safety rollback`` swaps them)."""
        return self.home / "warehouse" / "previous" / "partnership.duckdb"

    @property
    def publish_log_path(self) -> Path:
        return self.home / "warehouse" / "publish_log.jsonl"

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

    @property
    def models_dir(self) -> Path:
        """Versioned predictive models, one folder per use case (youth_safety.prediction.registry)."""
        return self.home / "models"


@dataclass(frozen=True)
class PredictionConfig:
    """Every setting of the predictive models in one place (youth_safety.prediction).

    Nothing here is tuned to flatter a model: the gate's bounds and margins are set before
    looking at results and apply to every version alike.
    """

    seed: int = 42
    # out-of-time split: the last `test_quarters` labelled quarterly snapshot dates are held out;
    # training uses only snapshots whose whole label window (horizon + waiting) closes on or
    # before the first held-out snapshot date
    test_quarters: int = 4
    # training snapshots start no earlier than this (None: dbt var reporting_start)
    earliest_snapshot: str | None = None
    # logistic regression: L2, inverse regularisation strength
    lr_c: float = 1.0
    lr_max_iter: int = 2000
    # the gradient-boosted model is kept only if it beats LR out of time by this PR AUC margin
    gbm_pr_auc_margin: float = 0.02
    gbm_max_iter: int = 200
    gbm_learning_rate: float = 0.05
    gbm_max_leaf_nodes: int = 15
    # evaluation
    review_list_sizes: tuple[int, ...] = (25, 50, 100, 200)
    reliability_bins: int = 10
    # fairness at one operating point: the top `operating_point_top_k` per snapshot date
    operating_point_top_k: int = 100
    # the nightly review list's bands by rank: the top 50 "high", the next 150 "medium", the rest "low"
    review_bands: tuple[tuple[str, int], ...] = (("high", 50), ("medium", 150))
    # promotion gate: every fairness ratio (TPR, FPR, precision) to the reference group within
    # these bounds, for groups with at least `fairness_min_group_rows` held-out rows and at least
    # `fairness_min_denominator` in the metric's denominator (positives for TPR, negatives for
    # FPR, selected for precision); smaller groups are reported but not gated
    fairness_ratio_bounds: tuple[float, float] = (0.5, 2.0)
    fairness_gated_metrics: tuple[str, ...] = ("true_positive_rate", "false_positive_rate", "precision")
    fairness_min_group_rows: int = 100
    fairness_min_denominator: int = 10
    # explanations
    reasons_per_row: int = 3
