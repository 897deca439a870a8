"""Model cards, the nightly review list and practitioners' outcomes (issue 6, sections 4-5).

A card renders from a version's metadata with every required section and no person key, and
the identifier scanner finds no name in it; scoring gives every row reasons and replaces a
night's rows; outcomes are refused for unknown outcomes and children the list never held.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from itertools import product
from pathlib import Path

import pandas as pd
import pytest

from youth_safety.config import Settings
from youth_safety.generator.population import name_pools
from youth_safety.prediction import card as cards
from youth_safety.prediction import decisions, scoring
from youth_safety.prediction.outcomes import OutcomeRefused, outcome_counts, record_outcome
from youth_safety.privacy.scanner import WORD, _file_hits
from youth_safety.warehouse import connect

NIGHT = date(2025, 3, 31)
SECTIONS = ("human-review", "purpose", "data", "features", "metrics", "fairness", "calibration", "decision", "outcomes",
            "limitations", "evidence")


def _metrics(roc: float, pr: float, precision_100: float) -> dict:
    at_k = {str(k): {"precision": precision_100 + shift, "recall": recall, "snapshot_dates": 4}
            for k, shift, recall in ((25, 0.1, 0.05), (50, 0.05, 0.09), (100, 0.0, 0.16), (200, -0.05, 0.27))}
    return {"rows": 30000, "positives": 1200, "snapshot_dates": 4, "roc_auc": roc, "pr_auc": pr, "brier": 0.031,
            "base_rate": 0.04, "at_k": at_k}


def _fairness_row(dimension: str, group: str, count: int, ratio: float, reference: bool = False, judged: bool = True) -> dict:
    gated = {m: judged and not reference for m in ("true_positive_rate", "false_positive_rate", "precision")}
    return {"dimension": dimension, "group": group, "reference": "White", "is_reference": reference, "count": count,
            "positives": count // 20, "negatives": count - count // 20, "selected": count // 50,
            "selection_rate": 0.02, "true_positive_rate": 0.2, "false_positive_rate": 0.01, "precision": 0.35,
            "selection_rate_ratio": ratio, "true_positive_rate_ratio": ratio, "false_positive_rate_ratio": ratio,
            "precision_ratio": 1.0, "gated": gated}


def fake_metadata(use_case: str = "early_identification", version: str = "v0001", promoted: bool = True) -> dict:
    """A version.json in the shape prediction.training writes it."""
    fairness = [
        _fairness_row("ethnicity_major_group", "White", 4000, 1.0, reference=True),
        _fairness_row("ethnicity_major_group", "Black", 1800, 2.6),
        _fairness_row("ethnicity_major_group", "Asian", 900, 0.9),
        _fairness_row("ethnicity_major_group", "Other", 60, 3.1, judged=False),
        _fairness_row("sex", "M", 3400, 1.0, reference=True),
        _fairness_row("sex", "F", 3400, 1.0),
        _fairness_row("is_black_caribbean_boy", "no", 6400, 1.0, reference=True),
        _fairness_row("is_black_caribbean_boy", "yes", 400, 1.5),
    ]
    return {
        "use_case": use_case, "version": version, "created_at": "2025-03-30T05:00:00+00:00", "code_version": "abc1234",
        "seed": 42, "features": ["age_years", "suspensions_last_12m", "missing_episodes_last_12m", "has_gangs_factor",
                                 "age_first_known_to_csc"],
        "exclusions": {"never_features": ["sex_code", "ethnicity_major_group", "is_black_caribbean_boy"],
                       "note": "used only for the fairness audit", "constant_in_cohort": ["is_known_to_yos"]},
        "training_window": {"from": "2018-03-31", "to": "2022-12-31", "snapshot_dates": 20, "rows": 90000, "positives": 2500},
        "test_window": {"from": "2023-03-31", "to": "2023-12-31", "snapshot_dates": 4, "rows": 30000, "positives": 1200},
        "model_type": "logistic_regression",
        "model_selection": {"reason": "logistic regression kept: gradient boosting does not beat it by the margin 0.02"},
        "metrics": {"model": _metrics(0.81, 0.22, 0.31), "baseline": _metrics(0.7, 0.12, 0.2)},
        "metrics_notes": "held-out snapshot dates only",
        "calibration": [{"bin": i + 1, "mean_score": m, "observed_rate": o, "count": c}
                        for i, (m, o, c) in enumerate(((0.01, 0.008, 5000), (0.05, 0.06, 800), (0.12, 0.1, 300), (0.3, 0.34, 60)))],
        "operating_point": {"top_k_per_snapshot_date": 100, "ratio_bounds": [0.5, 2.0], "min_group_rows": 100},
        "fairness": fairness,
        "fairness_outside_bounds": [{"dimension": "ethnicity_major_group", "group": "Black", "metric": m, "ratio": 2.6}
                                    for m in ("true_positive_rate", "false_positive_rate")],
        "coefficients": {"age_years": 0.4, "suspensions_last_12m": 0.7, "missing_episodes_last_12m": 0.5,
                         "has_gangs_factor": 0.9, "age_first_known_to_csc": -0.2, "age_first_known_to_csc__missing": -0.6,
                         "(intercept)": -3.1},
        "baseline": {"rules": {"recent_suspension": "a suspension in the last 12 months", "arrested": "has been arrested"}},
        "gate": {"promoted": promoted, "reasons": ["PR AUC 0.220 beats the rule baseline's 0.120"] if promoted
                 else ["fairness: false_positive_rate ratio of ethnicity_major_group=Black to White is 2.60, outside [0.5, 2.0]"]},
    }


def save_version(settings: Settings, metadata: dict) -> Path:
    folder = settings.home / "models" / metadata["use_case"] / metadata["version"]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "version.json").write_text(json.dumps(metadata))
    return folder


def every_possible_name() -> dict[str, str]:
    """Every forename (or nickname) and surname the generator can combine, as the scanner's lookup."""
    pools = name_pools()
    forenames = {n for g in pools["groups"].values() for n in (*g["male"], *g["female"])}
    forenames |= {n for short in pools.get("nicknames", {}).values() for n in short}
    surnames = {n for g in pools["groups"].values() for n in g["surname"]}
    return {f"{f} {s}".upper(): "name" for f, s in product(forenames, surnames)}


def test_a_card_holds_every_section_and_no_person_key(tmp_path):
    html = cards.render_card(fake_metadata(), outcomes={"supported": 3, "no_action": 1})
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert not re.search(r"(src|href)\s*=", html), "a card loads nothing from elsewhere"
    assert "<svg" in html and "<script" not in html
    for words in ("Article 22", "youth-safety reidentify", "No decision about a child is made by this model",
                  "Machine Learning in Children's Services", "Think Family", "Suspensions in the last 12 months",
                  "ROC AUC", "precision at 100", "Ethnicity group", "Sex", "Cohort", "promoted", "beats the rule baseline",
                  "supported", "Limitations", "Black Caribbean boys", "everyone else (not Black Caribbean boys)",
                  "a suspension in the last 12 months", "when not recorded: -0.600", "2018-03-31", "90,000"):
        assert words in html, words
    assert 'class="num out">2.60' in html  # a judged ratio outside the gate's bounds is marked
    assert 'class="num faint">3.10' in html and "too few to judge" in html  # a group too small to judge, faintly
    assert "2 ratio(s) fall outside the bounds" in html
    assert not re.search(r"PK\d{7}", html)


def test_a_card_refuses_to_show_a_person_key():
    metadata = fake_metadata()
    metadata["gate"]["reasons"] = ["top scorer PK0001234"]
    with pytest.raises(cards.CardError):
        cards.render_card(metadata)


def test_written_cards_hold_no_name_the_generator_could_make(settings):
    save_version(settings, fake_metadata(version="v0001", promoted=False))
    save_version(settings, fake_metadata(version="v0002"))
    save_version(settings, fake_metadata("reoffending", "v0001", promoted=False))
    written = cards.write_cards(settings)
    folder = settings.reports_dir / "models"
    assert [p.name for p in written["early_identification"]] == ["model_card_v0001.html", "model_card_v0002.html"]
    assert (folder / "early_identification" / "model_card_latest.html").read_text() == written["early_identification"][1].read_text()
    assert "not promoted" in (folder / "reoffending" / "model_card_latest.html").read_text()
    path = decisions.write_decisions(settings, decisions.latest_decisions(settings), NIGHT.isoformat())
    decided = json.loads(path.read_text())["decisions"]
    assert [(d["use_case"], d["version"], d["promoted"]) for d in decided] == [("early_identification", "v0002", True),
                                                                              ("reoffending", "v0001", False)]
    lookup = every_possible_name()
    longest = max(len(WORD.findall(name)) for name in lookup)
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert len(files) == 7  # three cards, two latest cards, two decision files
    assert {str(p): dict(_file_hits(p, lookup, longest)) for p in files} == {str(p): {} for p in files}


class FakeVersion:
    """A promoted version as prediction.registry hands it out: metadata, predict, reasons."""

    def __init__(self, version: str = "v0001"):
        self.metadata = fake_metadata(version=version)

    def predict(self, frame: pd.DataFrame) -> list[float]:
        return list(frame["suspensions_last_12m"] / 10 + frame["age_years"] / 1000)

    def reasons(self, frame: pd.DataFrame) -> list[list[str]]:
        return [[f"{n} suspensions in the last 12 months", "aged 14", "missing twice", "a fourth reason"] if n else []
                for n in frame["suspensions_last_12m"]]


def cohort(children: int = 260) -> pd.DataFrame:
    return pd.DataFrame({"person_key": [f"PK{i:07d}" for i in range(1, children + 1)],
                         "snapshot_date": pd.Timestamp("2025-02-28"),
                         "age_years": [10 + i % 8 for i in range(children)],
                         "suspensions_last_12m": [i % 7 for i in range(children)]})


@pytest.fixture
def scored(settings, monkeypatch):
    """A warehouse whose review list holds one night of early identification, 260 children."""
    monkeypatch.setattr(scoring, "_cohort", lambda con, use_case: (cohort(), date(2025, 2, 28)))
    with connect(settings.warehouse_path) as con:
        done = scoring.score_use_case(settings, con, NIGHT, "early_identification", FakeVersion())
    return done


def review_list(settings: Settings) -> pd.DataFrame:
    with connect(settings.warehouse_path, read_only=True) as con:
        return con.execute("select * exclude (scored_at) from prediction.review_list order by night, use_case, rank").df()


def test_scoring_ranks_bands_and_gives_every_row_its_reasons(settings, scored):
    rows = review_list(settings)
    assert scored.rows == len(rows) == 260 and scored.model_version == "v0001"
    assert scored.bands == {"high": 50, "medium": 150, "low": 60}
    assert list(rows["rank"]) == list(range(1, 261))
    assert rows["score"].is_monotonic_decreasing
    assert rows.groupby("band").size().to_dict() == {"high": 50, "medium": 150, "low": 60}
    assert all(1 <= len(r) <= scoring.TOP_REASONS and all(r) for r in rows["reasons"])
    assert scoring.NO_FACTOR in set(rows["reasons"].map(tuple).explode())  # no factor: said so, never left empty
    assert set(rows["snapshot_date"].astype(str)) == {"2025-02-28"} and set(rows["model_version"]) == {"v0001"}
    assert set(rows.columns) == set(scoring.COLUMNS)


def test_scoring_a_night_again_replaces_its_rows(settings, scored):
    before = review_list(settings)
    with connect(settings.warehouse_path) as con:
        scoring.score_use_case(settings, con, NIGHT, "early_identification", FakeVersion())
        scoring.score_use_case(settings, con, date(2025, 4, 1), "early_identification", FakeVersion("v0002"))
    after = review_list(settings)
    pd.testing.assert_frame_equal(after[after["night"] == pd.Timestamp(NIGHT)].reset_index(drop=True), before)
    assert len(after) == 520


def test_a_use_case_without_a_promoted_version_writes_nothing_and_says_so(settings, scored):
    with connect(settings.warehouse_path) as con:
        done = scoring.score_use_case(settings, con, NIGHT, "reoffending", None)
    assert done.rows == 0 and "no promoted model" in done.message
    assert set(review_list(settings)["use_case"]) == {"early_identification"}


def test_bands_are_configurable():
    assert [scoring.band_of(r, (("high", 2), ("medium", 3))) for r in range(1, 8)] == ["high"] * 2 + ["medium"] * 3 + ["low"] * 2


def test_outcomes_are_recorded_only_for_listed_children_and_known_outcomes(settings, scored):
    with pytest.raises(OutcomeRefused, match="unknown outcome"):
        record_outcome(settings, "early_identification", "PK0000001", "arrested", "a.practitioner")
    with pytest.raises(OutcomeRefused, match="not on the early_identification review list"):
        record_outcome(settings, "early_identification", "PK0009999", "supported", "a.practitioner")
    with pytest.raises(OutcomeRefused, match="not on the reoffending review list"):
        record_outcome(settings, "reoffending", "PK0000001", "supported", "a.practitioner")
    with pytest.raises(OutcomeRefused, match="not on the early_identification review list on the night"):
        record_outcome(settings, "early_identification", "PK0000001", "supported", "a.practitioner", night=date(2025, 1, 1))
    with pytest.raises(OutcomeRefused, match="not a person key"):
        record_outcome(settings, "early_identification", "Jane", "supported", "a.practitioner")
    top, last = review_list(settings)["person_key"].iloc[[0, -1]]
    done = record_outcome(settings, "early_identification", top, "no_action", "a.practitioner")
    assert (done.night, done.model_version, done.band, done.rank, done.operator) == (NIGHT, "v0001", "high", 1, "a.practitioner")
    record_outcome(settings, "early_identification", top, "supported", "a.practitioner")  # replaces the first
    assert record_outcome(settings, "early_identification", last, "already_known", "b.practitioner").band == "low"
    assert outcome_counts(settings, "early_identification") == {"v0001": {"already_known": 1, "supported": 1}}
    save_version(settings, fake_metadata())
    (path,) = cards.write_cards(settings, ["early_identification"])["early_identification"]
    assert re.search(r"<td>already_known</td><td class=\"num\">1</td>", path.read_text())


def test_review_outcome_command_refuses_an_unlisted_child(settings, scored, cli, monkeypatch):
    import os
    import subprocess

    from conftest import CLI

    env = {**os.environ, "YOUTH_SAFETY_HOME": str(settings.home)}
    run = lambda *args: subprocess.run([str(CLI), *args], capture_output=True, text=True, env=env)  # noqa: E731
    refused = run("review-outcome", "--use-case", "early_identification", "--person-key", "PK0009999", "--outcome", "supported")
    assert refused.returncode == 1 and "not on the early_identification review list" in refused.stderr
    done = run("review-outcome", "--use-case", "early_identification", "--person-key", "PK0000006", "--outcome", "supported")
    assert done.returncode == 0, done.stderr
    assert "PK0000006" in done.stdout and "supported" in done.stdout


def test_a_real_trained_version_gets_a_card_and_scores_a_cohort(settings):
    """A small model trained by prediction.training on a synthetic frame: its card renders from the saved
    version.json with every section, and its promoted-or-not version scores a cohort with reasons for all."""
    import numpy as np

    from youth_safety.config import PredictionConfig
    from youth_safety.prediction import dataset, registry, training

    rng = np.random.default_rng(5)
    dates = pd.date_range("2017-03-31", periods=16, freq="QE")
    n = 300
    rows = []
    for snapshot in dates:
        frame = pd.DataFrame({f: rng.integers(0, 3, n) for f in dataset.FEATURES})
        frame["age_years"] = rng.integers(8, 18, n)
        frame["absence_rate_last_3_terms"] = rng.random(n) * 30
        frame["person_key"] = [f"PK{i:07d}" for i in range(1, n + 1)]
        frame["snapshot_date"] = snapshot
        frame["label"] = rng.random(n) < 0.03 + 0.08 * (frame["suspensions_last_12m"] > 1)
        frame["label_known"] = True
        frame["sex_code"] = rng.choice(["M", "F"], n)
        frame["ethnicity_major_group"] = rng.choice(["White", "Black", "Asian"], n)
        for flag in dataset.COHORT_FLAGS:
            frame[flag] = rng.random(n) < 0.2
        rows.append(frame)
    frame = pd.concat(rows, ignore_index=True)
    config = PredictionConfig(gbm_max_iter=20)
    model, metadata = training.evaluate_and_build("reoffending", frame, config, seed=42)
    version = registry.save_version(settings, "reoffending", model, metadata)
    (path,) = cards.write_cards(settings, ["reoffending"])["reoffending"]
    html = path.read_text()
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    assert "Ethnicity group" in html and "Sex" in html and "Cohort" in html and "<svg" in html
    assert not re.search(r"PK\d{7}", html)
    lookup = every_possible_name()
    assert dict(_file_hits(path, lookup, 2)) == {}
    latest = frame[frame["snapshot_date"] == dates[-1]].drop(columns=["label", "label_known"])
    rows = scoring.review_rows(version, latest, NIGHT, "reoffending", dates[-1].date())
    assert len(rows) == n and all(1 <= len(r) <= 3 for r in rows["reasons"])
    assert rows["band"].value_counts().to_dict() == {"medium": 150, "low": 100, "high": 50}
