"""Run ``dbt build`` on the warehouse as a subprocess of this virtualenv's dbt."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from youth_safety.config import DBT_PROJECT_DIR, Settings

log = logging.getLogger(__name__)

DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"
FAILED_STATUSES = ("error", "fail", "runtime error")
OUTPUT_TAIL_LINES = 15
MESSAGE_CHARS = 300


class DbtBuildError(RuntimeError):
    """``dbt build`` failed; the message names the failing nodes."""


def _env(settings: Settings) -> dict[str, str]:
    """The caller's environment plus the warehouse path, with dbt kept off the network."""
    return {
        **os.environ,
        "YOUTH_SAFETY_WAREHOUSE": str(settings.warehouse_path),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }


def _command(settings: Settings, select: str | None, full_refresh: bool) -> list[str]:
    command = [
        str(DBT_EXECUTABLE), "build",
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(settings.dbt_target_dir),
        "--log-path", str(settings.dbt_log_dir),
    ]
    if select:
        command += ["--select", select]
    if full_refresh:
        command.append("--full-refresh")
    return command


def _gist(message: str | None) -> str:
    """dbt's message cut to its first two lines (the second holds the database error)."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    return " | ".join(lines[:2])[:MESSAGE_CHARS]


def _failure_summary(run_results: Path) -> str | None:
    """The failed nodes of a run_results.json, one line each with the gist of dbt's message."""
    results = json.loads(run_results.read_text())["results"]
    failed = [r for r in results if r["status"] in FAILED_STATUSES]
    if not failed:
        return None
    skipped = sum(r["status"] == "skipped" for r in results)
    lines = [f"{r['unique_id']} ({r['status']}: {_gist(r.get('message'))})" for r in failed]
    return f"dbt build failed on {len(failed)} node(s), {skipped} skipped:\n" + "\n".join(lines)


def build(settings: Settings, select: str | None = None, full_refresh: bool = False) -> None:
    """Build seeds, models and tests; raise DbtBuildError naming what failed."""
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    run_results = settings.dbt_target_dir / "run_results.json"
    run_results.unlink(missing_ok=True)
    done = subprocess.run(
        _command(settings, select, full_refresh), env=_env(settings), capture_output=True, text=True
    )
    output = (done.stdout + done.stderr).strip().splitlines()
    if done.returncode == 0:
        log.info("dbt build: %s", output[-1] if output else "no output")
        return
    summary = _failure_summary(run_results) if run_results.exists() else None
    tail = "\n".join(output[-OUTPUT_TAIL_LINES:])
    detail = summary or f"dbt build exited with {done.returncode} and no failed node; output ends:\n{tail}"
    raise DbtBuildError(f"{detail}\nFull log: {settings.dbt_log_dir / 'dbt.log'}")
