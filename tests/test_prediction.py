"""Predictive identification (issue 6): labels without leakage, out-of-time split, determinism,
the promotion gate (biased and weak models refused), plain-words reasons, and end to end on the
scale-1 warehouse."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from youth_safety.config import PredictionConfig, Settings
from youth_safety.prediction import dataset, evaluation, explain, registry, training
from youth_safety.prediction.baseline import RULES, rule_score
from youth_safety.prediction.models import FeatureEncoder, fit_model
from youth_safety.prediction.use_cases import EARLY_IDENTIFICATION, REOFFENDING

# ---------------------------------------------------------------- a tiny warehouse for labels

BOOL_FEATURES = {
    "has_dv_factor", "has_gangs_factor", "has_cce_factor", "has_cse_factor", "is_persistently_absent_latest_term",
    "is_severely_absent_latest_term", "is_child_in_need_open", "has_cp_plan_ever", "is_on_cp_plan",
    "has_been_looked_after", "is_looked_after", "is_known_to_yos", "has_substantive_outcome",
}
DOUBLE_FEATURES = {"absence_rate_last_3_terms"}


def _mini_warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for schema in ("marts", "staging", "codes"):
        con.execute(f"create schema {schema}")
    cols = ", ".join(
        f"{f} {'boolean' if f in BOOL_FEATURES else 'double' if f in DOUBLE_FEATURES else 'integer'}"
        for f in dataset.FEATURES
    )
    con.execute(f"create table marts.fct_person_features_monthly (person_key varchar, snapshot_date date, {cols})")
    audit = ", ".join(f"{c} {'varchar' if c in ('sex_code', 'ethnicity_major_group') else 'boolean'}" for c in dataset.AUDIT_COLUMNS)
    con.execute(f"create table marts.dim_person (person_key varchar, {audit})")
    con.execute("create table marts.fct_police_involvements (involvement_id varchar, person_key varchar, role_code varchar, "
                "committed_date date, is_serious_youth_violence boolean)")
    con.execute("create table staging.stg_yos__offences (offence_id varchar, yot_id varchar, offence_date date, "
                "outcome_date date, outcome_code varchar)")
    con.execute("create table staging.stg_linkage__person_keys (source varchar, entity varchar, record_key varchar, person_key varchar)")
    con.execute("create table staging.stg_linkage__person_key_history (night date)")
    con.execute("create table codes.youth_outcome (code varchar, is_substantive boolean)")
    con.execute("insert into codes.youth_outcome values ('CR', false), ('YC', true), ('RO', true), ('NFA', false)")
    con.execute("insert into staging.stg_linkage__person_key_history values (date '2021-06-30')")

    def snapshot(person: str, day: str, known_to_yos: bool) -> None:
        values = {f: (False if f in BOOL_FEATURES else 0) for f in dataset.FEATURES}
        values.update(age_years=14, suspensions_last_12m=2, is_known_to_yos=known_to_yos, has_substantive_outcome=known_to_yos)
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        con.execute(f"insert into marts.fct_person_features_monthly (person_key, snapshot_date, {names}) values (?, ?, {marks})",
                    [person, day, *values.values()])

    for day in ("2019-03-31", "2019-06-30", "2021-03-31"):  # 2021-03-31: label window not closed by 2021-06-30
        for person in ("EI1", "EI2", "EI3"):
            snapshot(person, day, False)
        snapshot("RE1", day, True)
    snapshot("EI1", "2019-04-30", False)  # not a quarter end: left out of training frames
    for person, sex, group in (("EI1", "M", "Black"), ("EI2", "F", "White"), ("EI3", "M", "White"), ("RE1", "M", "Mixed")):
        con.execute("insert into marts.dim_person values (?, ?, ?, false, false, false, false, ?)", [person, sex, group, sex == "F"])
    con.execute("insert into staging.stg_linkage__person_keys values ('yos', 'yot_id', 'yot_id:RE1', 'RE1'), "
                "('yos', 'yot_id', 'yot_id:EI2', 'EI2')")
    # RE1's index outcome, before every snapshot
    con.execute("insert into staging.stg_yos__offences values ('O0', 'yot_id:RE1', date '2018-10-01', date '2018-12-01', 'YC')")
    return con


def _labels(con, use_case, **kwargs) -> pd.DataFrame:
    return dataset.build_frame(con, use_case, earliest_snapshot=date(2016, 4, 1), labelled_only=False, **kwargs)


def _key(frame: pd.DataFrame) -> dict:
    return {(r.person_key, r.snapshot_date.date().isoformat()): (bool(r.label), bool(r.label_known)) for r in frame.itertuples()}


def test_labels_use_only_events_inside_the_window_after_the_snapshot():
    con = _mini_warehouse()
    before_ei = _labels(con, EARLY_IDENTIFICATION)
    before_re = _labels(con, REOFFENDING)
    assert set(before_ei["snapshot_date"].dt.month) <= {3, 6, 9, 12}
    assert not before_ei["label"].any() and not before_re["label"].any()
    assert _key(before_ei)[("EI1", "2021-03-31")] == (False, False)  # window still open: label unknown

    # events on the snapshot date, or after the window's end, must not change any label
    con.execute("""insert into marts.fct_police_involvements values
        ('I1', 'EI1', 'VICTIM', date '2019-03-31', true),          -- on the snapshot date
        ('I2', 'EI1', 'SUSPECT', date '2020-07-01', true),         -- after both windows (2019-06-30 + 12 months)
        ('I3', 'EI3', 'WITNESS', date '2019-05-01', true),         -- a witness is not involvement
        ('I4', 'EI3', 'VICTIM', date '2019-05-01', false)""")      # not serious youth violence
    con.execute("""insert into staging.stg_yos__offences values
        ('O1', 'yot_id:EI2', date '2019-01-01', date '2019-03-31', 'YC'),    -- outcome on the snapshot date
        ('O2', 'yot_id:EI2', date '2020-05-01', date '2020-08-01', 'YC'),    -- outcome after both windows
        ('O3', 'yot_id:RE1', date '2019-03-31', date '2019-05-01', 'RO'),    -- offence on the 2019-03-31 snapshot date
        ('O4', 'yot_id:RE1', date '2018-06-01', date '2019-05-01', 'RO'),    -- offence before the 2019-03-31 snapshot
        ('O5', 'yot_id:RE1', date '2020-07-15', date '2020-09-01', 'RO'),    -- offence after both 12-month windows
        ('O6', 'yot_id:RE1', date '2019-05-01', date '2019-07-01', 'CR')""")  # not substantive
    # EI2's outcome O1 on the snapshot date belongs to the past: the mart would take EI2 out of the
    # cohort from 2019-03-31 on; here the snapshot rows stay, so the label side is tested alone
    after_ei = _labels(con, EARLY_IDENTIFICATION)
    after_re = _labels(con, REOFFENDING)
    assert _key(after_ei) == _key(before_ei)
    assert _key(after_re) == _key(before_re)
    # the features of every row are untouched by the label side
    feature_cols = ["person_key", "snapshot_date", *dataset.FEATURES]
    pd.testing.assert_frame_equal(after_ei[feature_cols], before_ei[feature_cols])
    pd.testing.assert_frame_equal(after_re[feature_cols], before_re[feature_cols])

    # positive controls: events strictly inside the window do set the label
    con.execute("insert into marts.fct_police_involvements values ('I5', 'EI3', 'ACCUSED', date '2019-04-01', true)")
    con.execute("insert into staging.stg_yos__offences values ('O7', 'yot_id:EI2', date '2019-08-01', date '2019-09-15', 'YC')")
    ei = _key(_labels(con, EARLY_IDENTIFICATION))
    assert ei[("EI3", "2019-03-31")] == (True, True) and ei[("EI3", "2019-06-30")] == (False, True)
    assert ei[("EI2", "2019-03-31")] == (True, True) and ei[("EI2", "2019-06-30")] == (True, True)
    assert ei[("EI1", "2019-03-31")] == (False, True)

    # reoffending: an offence in the 12 months whose outcome comes within the 6-month waiting period counts;
    # one whose outcome comes later does not
    con.execute("insert into staging.stg_yos__offences values ('O8', 'yot_id:RE1', date '2020-03-15', date '2020-12-30', 'RO')")
    re = _key(_labels(con, REOFFENDING))
    assert re[("RE1", "2019-03-31")] == (False, True)    # outcome after 2019-03-31 + 18 months
    assert re[("RE1", "2019-06-30")] == (True, True)     # on 2019-06-30 + 18 months (2020-12-30, inclusive)
    assert re[("RE1", "2021-03-31")] == (False, False)

    labelled = dataset.build_frame(con, REOFFENDING, earliest_snapshot=date(2016, 4, 1))
    assert labelled["label_known"].all() and len(labelled) == 2


def test_current_cohort_is_the_latest_snapshot_without_labels():
    con = _mini_warehouse()
    cohort = dataset.current_cohort(con, "early_identification")
    assert set(cohort["snapshot_date"].dt.date) == {date(2021, 3, 31)}
    assert sorted(cohort["person_key"]) == ["EI1", "EI2", "EI3"]
    assert not cohort["label_known"].any()
    assert list(dataset.current_cohort(con, "reoffending")["person_key"]) == ["RE1"]


# ---------------------------------------------------------------- synthetic frames

def _synthetic(n_people: int = 1500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2015-03-31", "2020-12-31", freq="QE")
    rows = []
    groups = rng.choice(["White", "Black", "Asian", "Mixed", "Other"], n_people, p=[0.45, 0.25, 0.12, 0.1, 0.08])
    sex = rng.choice(["M", "F"], n_people)
    for d in dates:
        frame = pd.DataFrame({"person_key": [f"P{i:05d}" for i in range(n_people)], "snapshot_date": d})
        for f in dataset.FEATURES:
            if f in BOOL_FEATURES:
                frame[f] = rng.random(n_people) < 0.15
            elif f in ("age_first_known_to_csc", "age_first_arrest"):
                frame[f] = np.where(rng.random(n_people) < 0.5, np.nan, rng.integers(2, 15, n_people))
            elif f == "absence_rate_last_3_terms":
                frame[f] = np.where(rng.random(n_people) < 0.1, np.nan, rng.random(n_people) * 30)
            else:
                frame[f] = rng.poisson(0.7, n_people)
        logit = -3 + 0.8 * frame["suspensions_last_12m"] + 1.2 * frame["has_gangs_factor"] + 0.5 * frame["missing_episodes_last_12m"]
        frame["label"] = rng.random(n_people) < 1 / (1 + np.exp(-logit))
        frame["label_known"] = True
        frame["sex_code"] = sex
        frame["ethnicity_major_group"] = groups
        for flag in dataset.COHORT_FLAGS:
            frame[flag] = False
        frame["is_black_caribbean_boy"] = (groups == "Black") & (sex == "M")
        frame["is_girl_or_young_woman"] = sex == "F"
        rows.append(frame)
    return pd.concat(rows, ignore_index=True)


SMALL = PredictionConfig(gbm_max_iter=30, fairness_min_group_rows=50)


def test_out_of_time_split_training_windows_close_before_the_test_period():
    frame = _synthetic(200)
    for uc in (EARLY_IDENTIFICATION, REOFFENDING):
        split = training.out_of_time_split(frame, uc, 4)
        assert split.test["snapshot_date"].nunique() == 4
        assert split.test["snapshot_date"].min() == split.test_start
        closes = split.train["snapshot_date"] + pd.DateOffset(months=uc.label_window_months)
        assert (closes <= split.test_start).all()
        assert split.train["snapshot_date"].max() < split.test_start


def test_same_seed_same_data_same_model_and_metrics():
    frame = _synthetic(800)
    model_a, meta_a = training.evaluate_and_build("early_identification", frame, SMALL, seed=7)
    model_b, meta_b = training.evaluate_and_build("early_identification", frame, SMALL, seed=7)
    assert meta_a["coefficients"] == meta_b["coefficients"]
    assert meta_a["metrics"] == meta_b["metrics"]
    assert meta_a["model_selection"] == meta_b["model_selection"]
    assert meta_a["fairness"] == meta_b["fairness"]
    np.testing.assert_array_equal(model_a.predict(frame.head(500)), model_b.predict(frame.head(500)))
    # the planted signal is found, from the features alone
    coefs = meta_a["coefficients"]
    assert coefs["has_gangs_factor"] > 0.2 and coefs["suspensions_last_12m"] > 0.2
    assert not set(meta_a["features"]) & {"sex_code", "ethnicity_major_group", *dataset.COHORT_FLAGS}


def test_sensitive_attributes_are_never_features():
    with pytest.raises(ValueError, match="never features"):
        FeatureEncoder(["age_years", "ethnicity_major_group"])
    for uc in (EARLY_IDENTIFICATION, REOFFENDING):
        assert not set(dataset.model_features(uc)) & set(dataset.AUDIT_COLUMNS)


# ---------------------------------------------------------------- the promotion gate

def _held_out(seed: int = 3) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """A held-out frame, its labels and an honest score (signal + noise, the same for every group)."""
    frame = _synthetic(2000, seed=seed)
    test = frame[frame["snapshot_date"] >= "2020-03-31"].reset_index(drop=True)
    rng = np.random.default_rng(seed)
    y = test["label"].to_numpy(dtype=int)
    honest = y * 1.0 + rng.normal(0, 0.8, len(y))
    return test, y, honest


def _gate(test, y, scores, baseline_scores, config=SMALL):
    model = evaluation.evaluate_scores(test["snapshot_date"], y, scores, 1 / (1 + np.exp(-scores)), config, 1)
    base = evaluation.evaluate_scores(test["snapshot_date"], y, baseline_scores, np.full(len(y), y.mean()), config, 1)
    selected = evaluation.top_k_by_snapshot(test["snapshot_date"], scores, config.operating_point_top_k, 1)
    fair = evaluation.fairness(test, y, selected, config)
    return registry.gate_decision(model, base, fair, config), fair


def test_gate_promotes_an_honest_model_that_beats_the_baseline():
    test, y, honest = _held_out()
    weak_baseline = rule_score(test)
    decision, fair = _gate(test, y, honest, weak_baseline)
    assert decision["promoted"], decision["reasons"]
    assert any(r.startswith("fairness: all") for r in decision["reasons"])
    eth = {r["group"]: r for r in fair if r["dimension"] == "ethnicity_major_group"}
    assert eth["White"]["is_reference"] and eth["White"]["true_positive_rate_ratio"] == pytest.approx(1.0)
    assert sum(r["count"] for r in eth.values()) == len(test)


def test_gate_refuses_a_biased_model_with_fairness_reasons():
    test, y, honest = _held_out()
    biased = honest + 3.0 * (test["ethnicity_major_group"] == "Black").to_numpy()  # scores boosted for one group
    decision, _ = _gate(test, y, biased, rule_score(test))
    assert not decision["promoted"]
    fairness_reasons = [r for r in decision["reasons"] if r.startswith("fairness:") and "outside" in r]
    assert any("ethnicity_major_group=Black to White" in r and "false_positive_rate" in r for r in fairness_reasons)
    assert any("is_black_caribbean_boy=yes to no" in r for r in fairness_reasons)


def test_gate_refuses_a_weak_model_that_does_not_beat_the_baseline():
    test, y, honest = _held_out()
    random_scores = np.random.default_rng(11).random(len(y))
    decision, _ = _gate(test, y, random_scores, honest)  # the baseline here is the honest scorer
    assert not decision["promoted"]
    assert any(r.startswith("PR AUC") and "does not beat the rule baseline" in r for r in decision["reasons"])
    assert any(r.startswith("precision@100") and "does not beat" in r for r in decision["reasons"])


def test_refused_version_keeps_the_promoted_one(tmp_path):
    settings = Settings(home=tmp_path)
    frame = _synthetic(300)
    model = fit_model("reoffending", dataset.model_features("reoffending"), "logistic_regression", frame, SMALL, 1)
    good = registry.save_version(settings, "reoffending", model, {"gate": {"promoted": True, "reasons": ["ok"]}})
    registry.record_decision(settings, good)
    bad = registry.save_version(settings, "reoffending", model, {"gate": {"promoted": False, "reasons": ["biased"]}})
    registry.record_decision(settings, bad)
    current = registry.promoted(settings, "reoffending")
    assert current is not None and current.version == "v0001" and bad.version == "v0002"
    reg = json.loads((tmp_path / "models" / "reoffending" / "registry.json").read_text())
    assert reg["promoted_version"] == "v0001"
    assert [h["promoted"] for h in reg["history"]] == [True, False] and reg["history"][1]["reasons"] == ["biased"]
    assert registry.promoted(settings, "early_identification") is None
    scores = current.predict(frame.head(20))
    assert scores.shape == (20,) and ((scores >= 0) & (scores <= 1)).all()


# ---------------------------------------------------------------- reasons in plain words

def test_phrases_from_raw_values():
    assert explain.phrase("suspensions_last_12m", 3) == "3 suspensions in the last 12 months"
    assert explain.phrase("suspensions_last_12m", 1) == "1 suspension in the last 12 months"
    assert explain.phrase("missing_episodes_last_12m", 2) == "missing twice in the last 12 months"
    assert explain.phrase("has_gangs_factor", True) == "a gangs factor in a social-care assessment"
    assert explain.phrase("age_first_known_to_csc", 4.0) == "first known to children's social care at 4"
    assert explain.phrase("age_first_known_to_csc", float("nan")) == "not known to children's social care"
    assert explain.phrase("absence_rate_last_3_terms", 46.9) == "absent for 47% of school sessions over the last 3 terms"
    assert all(f in explain.PHRASES for f in dataset.FEATURES)
    assert len(RULES) >= 10


def test_lr_reasons_follow_the_coefficients_and_are_never_empty():
    frame = _synthetic(600)
    model = fit_model("early_identification", dataset.model_features("early_identification"), "logistic_regression", frame, SMALL, 1)
    rows = frame.head(300).copy()
    contributions = model.contributions(rows)
    # LR contributions are exact: they sum to the log-odds minus the log-odds of the training mean
    p = model.predict(rows)
    logit = np.log(p / (1 - p))
    lr = model.estimator.named_steps["lr"]
    centre = lr.intercept_[0] + float(np.dot(model.estimator.named_steps["scale"].transform(model.reference_row[None, :])[0], lr.coef_[0]))
    np.testing.assert_allclose(contributions.sum(axis=1).to_numpy(), logit - centre, atol=1e-8)
    reasons = explain.reasons(model, rows)
    assert len(reasons) == len(rows) and all(1 <= len(r) <= 3 for r in reasons)
    heavy = rows.index[(rows["has_gangs_factor"]) & (rows["suspensions_last_12m"] >= 3)]
    if len(heavy):
        i = rows.index.get_loc(heavy[0])
        assert "a gangs factor in a social-care assessment" in reasons[i]
        assert f"{int(rows.loc[heavy[0], 'suspensions_last_12m'])} suspensions in the last 12 months" in reasons[i]
    gbm = fit_model("early_identification", dataset.model_features("early_identification"), "hist_gradient_boosting", frame, SMALL, 1)
    assert all(r for r in explain.reasons(gbm, rows.head(50)))


# ---------------------------------------------------------------- end to end on the scale-1 warehouse

def _isolated(settings: Settings, tmp_path: Path) -> Settings:
    """Own model folder, the session's warehouse (read only, through a link)."""
    home = tmp_path / "home"
    (home / "warehouse").mkdir(parents=True)
    (home / "warehouse" / "partnership.duckdb").symlink_to(settings.warehouse_path)
    return Settings(home=home)


def _all_finite(value) -> bool:
    if isinstance(value, dict):
        return all(_all_finite(v) for v in value.values())
    if isinstance(value, list):
        return all(_all_finite(v) for v in value)
    return not (isinstance(value, float) and not math.isfinite(value))


def test_end_to_end_on_scale1(scale1_warehouse, tmp_path):
    settings = _isolated(scale1_warehouse, tmp_path)
    results = training.train_all(settings, seed=42)
    assert set(results) == {"early_identification", "reoffending"}
    for name, trained in results.items():
        path = settings.home / "models" / name / "v0001" / "version.json"
        meta = json.loads(path.read_text())
        assert set(registry.METADATA_KEYS) <= set(meta), set(registry.METADATA_KEYS) - set(meta)
        assert (path.parent / "model.joblib").exists()
        assert meta["use_case"] == name and meta["version"] == "v0001" and meta["seed"] == 42
        assert meta["code_version"]
        assert meta["training_window"]["to"] < meta["test_window"]["from"]
        for who in ("model", "baseline"):
            m = meta["metrics"][who]
            for key in ("roc_auc", "pr_auc", "brier", "base_rate"):
                assert m[key] is not None and math.isfinite(m[key]), (name, who, key)
            assert set(m["at_k"]) == {"25", "50", "100", "200"}
        assert _all_finite(meta["metrics"]) and len(meta["calibration"]) >= 5
        assert {r["dimension"] for r in meta["fairness"]} >= {"ethnicity_major_group", "sex", *dataset.COHORT_FLAGS}
        assert isinstance(meta["gate"]["promoted"], bool) and meta["gate"]["reasons"]
        assert not set(meta["features"]) & set(dataset.AUDIT_COLUMNS)
        reg = registry.registry(settings, name)
        assert reg["history"][-1]["version"] == "v0001"
        assert reg["promoted_version"] == ("v0001" if meta["gate"]["promoted"] else None)

        # every scored child of the latest snapshot gets reasons
        version = registry.load_version(settings, name, "v0001")
        from youth_safety.warehouse import connect
        with connect(settings.warehouse_path, read_only=True) as con:
            cohort = dataset.current_cohort(con, name)
        assert len(cohort) > 0
        scores = version.predict(cohort)
        assert len(scores) == len(cohort) and np.isfinite(scores).all()
        reasons = version.reasons(cohort)
        assert len(reasons) == len(cohort) and all(len(r) >= 1 and all(isinstance(s, str) and s for s in r) for r in reasons)

    # same seed, same data: identical coefficients and metrics
    again = training.train_use_case(settings, "reoffending", seed=42)
    first = results["reoffending"].metadata
    assert again.metadata["version"] == "v0002"
    assert again.metadata["coefficients"] == first["coefficients"]
    assert again.metadata["metrics"] == first["metrics"]
    assert again.metadata["fairness"] == first["fairness"]
