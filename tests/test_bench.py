"""The benchmark's code path on a tiny borough: two real nights through `airflow dags test`, nothing mocked."""

from __future__ import annotations

import json
from datetime import date

import pytest

from youth_safety.bench import STAGES, TABLE_HEADER, run_bench


def test_bench_times_every_stage_of_a_full_and_an_incremental_night(tmp_path):
    report = run_bench([0.02], tmp_path, start=date(2024, 4, 1), end=date(2024, 6, 30), seed=7, progress=lambda _: None)

    assert [(n.kind, n.night, n.state) for n in report.nights] == [("full", "2024-06-29", "success"),
                                                                    ("incremental", "2024-06-30", "success")]
    for night in report.nights:
        assert set(night.stages) == set(STAGES)
        for stage, seconds in night.stages.items():
            assert seconds is not None and seconds >= 0, (night.kind, stage, seconds)
        for stage in ("validate", "pseudonymise", "link", "dbt", "publish", "report", "total"):
            assert night.stages[stage] > 0, (night.kind, stage)
        assert night.stages["total"] >= night.stages["dbt"] + night.stages["link"]
        assert night.process_seconds >= night.stages["total"]
        assert night.files > 0 and night.rows > 0 and night.raw_read_seconds > 0
        assert night.ratio == pytest.approx(night.stages["total"] / night.raw_read_seconds, rel=0.01)
        assert night.peak_gib > 0
        assert set(night.load_phases) == {"validate", "pseudonymise", "write", "data_docs"}
    full, incremental = report.nights
    assert incremental.files < full.files and incremental.stages["validate"] < full.stages["validate"]

    written = sorted(tmp_path.glob("bench_*"))
    assert [p.suffix for p in written] == [".json", ".md"]
    stored = json.loads(written[0].read_text())
    assert stored["machine"]["cores"] >= 1 and stored["generation"]["0.02"]["files"] > 0
    assert [n["stages"]["total"] for n in stored["nights"]] == [n.stages["total"] for n in report.nights]
    assert "| " + " | ".join(TABLE_HEADER) + " |" in written[1].read_text()
