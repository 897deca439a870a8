"""Train, evaluate out of time, audit, version and gate one use case's model.

Split (never random): the labelled quarterly snapshot dates are sorted; the last
``test_quarters`` of them are held out (the test period starts at the first held-out date);
training uses only snapshots whose whole label window (horizon + waiting period) closes on or
before that date, so no training label looks into the test period. Snapshots between the two
are left out (the gap).

Models: regularised logistic regression (StandardScaler + L2, fixed random_state) always; a
HistGradientBoosting model is kept only if its held-out PR AUC beats LR's by
``gbm_pr_auc_margin`` (opacity must be paid for). The evaluated model is the one stored: it is
not refitted on the held-out period, so the stored metrics describe the stored model.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from youth_safety.config import PredictionConfig, Settings
from youth_safety.prediction import dataset, evaluation, explain, registry
from youth_safety.prediction.baseline import RuleBaseline
from youth_safety.prediction.models import GRADIENT_BOOSTING, LOGISTIC_REGRESSION, SENSITIVE_COLUMNS, fit_model
from youth_safety.prediction.use_cases import USE_CASES, UseCase, get_use_case
from youth_safety.warehouse import connect

log = logging.getLogger(__name__)


@dataclass
class TrainedVersion:
    use_case: str
    version: registry.ModelVersion
    promoted: bool
    promoted_version: str | None

    @property
    def metadata(self) -> dict:
        return self.version.metadata


@dataclass
class Split:
    train: pd.DataFrame
    test: pd.DataFrame
    test_start: pd.Timestamp


def out_of_time_split(frame: pd.DataFrame, use_case: UseCase, test_quarters: int) -> Split:
    """Hold out the last ``test_quarters`` labelled snapshot dates; train on snapshots whose label
    window closes on or before the first of them."""
    labelled = frame[frame["label_known"]] if "label_known" in frame else frame
    dates = sorted(labelled["snapshot_date"].unique())
    if len(dates) <= test_quarters:
        raise ValueError(f"{use_case.name}: {len(dates)} labelled snapshot dates, need more than {test_quarters}")
    test_dates = dates[-test_quarters:]
    test_start = pd.Timestamp(test_dates[0])
    window_close = labelled["snapshot_date"] + pd.DateOffset(months=use_case.label_window_months)
    train = labelled[window_close <= test_start]
    test = labelled[labelled["snapshot_date"].isin(test_dates)]
    if train.empty or train["label"].nunique() < 2:
        raise ValueError(f"{use_case.name}: the training window before {test_start.date()} has no rows of both labels")
    return Split(train.reset_index(drop=True), test.reset_index(drop=True), test_start)


def _window(frame: pd.DataFrame) -> dict:
    return {"from": frame["snapshot_date"].min().date().isoformat(), "to": frame["snapshot_date"].max().date().isoformat(),
            "snapshot_dates": int(frame["snapshot_date"].nunique()), "rows": int(len(frame)),
            "positives": int(frame["label"].sum())}


def evaluate_and_build(
    use_case: str | UseCase, frame: pd.DataFrame, config: PredictionConfig, seed: int
) -> tuple[object, dict]:
    """Everything but saving: split, fit LR (+ GBM), pick, evaluate model and baseline, fairness, gate.

    Returns (model, metadata without use_case/version).
    """
    uc = get_use_case(use_case)
    split = out_of_time_split(frame, uc, config.test_quarters)
    train, test = split.train, split.test
    features = dataset.model_features(uc)
    log.info("%s: training on %d rows (%s to %s), testing on %d rows (%s to %s)", uc.name, len(train),
             train.snapshot_date.min().date(), train.snapshot_date.max().date(), len(test),
             test.snapshot_date.min().date(), test.snapshot_date.max().date())

    y_test = test["label"].to_numpy(dtype=int)

    def metrics_of(model) -> dict:
        p = model.predict(test)
        return evaluation.evaluate_scores(test["snapshot_date"], y_test, p, p, config, seed)

    lr = fit_model(uc.name, features, LOGISTIC_REGRESSION, train, config, seed)
    lr_metrics = metrics_of(lr)
    gbm = fit_model(uc.name, features, GRADIENT_BOOSTING, train, config, seed)
    gbm_metrics = metrics_of(gbm)
    lr_pr, gbm_pr = lr_metrics["pr_auc"], gbm_metrics["pr_auc"]
    if lr_pr is not None and gbm_pr is not None and gbm_pr >= lr_pr + config.gbm_pr_auc_margin:
        chosen, chosen_metrics = gbm, gbm_metrics
        why = f"gradient boosting PR AUC {gbm_pr:.3f} beats logistic regression's {lr_pr:.3f} by at least {config.gbm_pr_auc_margin}"
    else:
        chosen, chosen_metrics = lr, lr_metrics
        why = (f"logistic regression kept: gradient boosting PR AUC {gbm_pr if gbm_pr is None else round(gbm_pr, 3)} does not beat "
               f"LR's {lr_pr if lr_pr is None else round(lr_pr, 3)} by the margin {config.gbm_pr_auc_margin}")
    log.info("%s: %s", uc.name, why)

    base = RuleBaseline().fit(train, train["label"])
    base_metrics = evaluation.evaluate_scores(test["snapshot_date"], y_test, base.score(test), base.probability(test), config, seed)

    scores = chosen.predict(test)
    k = config.operating_point_top_k
    selected = evaluation.top_k_by_snapshot(test["snapshot_date"], scores, k, seed)
    fairness = evaluation.fairness(test, y_test, selected, config)
    base_selected = evaluation.top_k_by_snapshot(test["snapshot_date"], base.score(test), k, seed)
    base_fairness = evaluation.fairness(test, y_test, base_selected, config)

    gate = registry.gate_decision(chosen_metrics, base_metrics, fairness, config)
    reasons = explain.reasons(chosen, test.head(200), top=config.reasons_per_row)

    metadata = {
        "title": uc.title,
        "purpose": uc.purpose,
        "cohort": uc.cohort_text,
        "outcome": uc.outcome_text,
        "horizon_months": uc.horizon_months,
        "waiting_months": uc.waiting_months,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "code_version": registry.code_version(),
        "seed": seed,
        "features": features,
        "model_columns": chosen.encoder.columns,
        "exclusions": {
            "never_features": list(SENSITIVE_COLUMNS),
            "note": "ethnicity, sex and the strategy's cohort flags are used only for the fairness audit",
            "constant_in_cohort": list(uc.excluded_features),
        },
        "snapshots": "quarterly (month ends of March, June, September, December)",
        "training_window": _window(train),
        "test_window": _window(test),
        "model_type": chosen.model_type,
        "model_selection": {"logistic_regression": lr_metrics, "hist_gradient_boosting": gbm_metrics,
                            "chosen": chosen.model_type, "reason": why, "margin_pr_auc": config.gbm_pr_auc_margin},
        "metrics": {"model": chosen_metrics, "baseline": base_metrics},
        "metrics_notes": ("held-out snapshot dates only; precision/recall at k per snapshot date averaged over the "
                          "held-out dates; baseline ranks by its flag count and is calibrated by the training rate per count"),
        "calibration": evaluation.reliability_curve(y_test, scores, config.reliability_bins),
        "baseline_calibration": evaluation.reliability_curve(y_test, base.probability(test), config.reliability_bins),
        "operating_point": {"top_k_per_snapshot_date": k, "ratio_bounds": list(config.fairness_ratio_bounds),
                            "min_group_rows": config.fairness_min_group_rows,
                            "min_denominator": config.fairness_min_denominator,
                            "references": {"ethnicity_major_group": "White", "sex": "M (boys)",
                                           "cohort flags": "children not in the cohort"}},
        "fairness": fairness,
        "baseline_fairness": base_fairness,
        "fairness_outside_bounds": evaluation.out_of_bounds(fairness, config),
        "coefficients": chosen.coefficients() or registry._json_safe(lr.coefficients()),
        "coefficients_of": "logistic_regression (standardized scale)",
        "baseline": base.describe(),
        "reasons_per_row": config.reasons_per_row,
        "example_reasons_present": all(len(r) > 0 for r in reasons),
        "gate": gate,
        "decision_support_only": "a score prompts a practitioner's review; never an automated decision (UK GDPR Art. 22)",
    }
    return chosen, metadata


def train_use_case(settings: Settings, use_case: str | UseCase, seed: int = 42,
                   config: PredictionConfig | None = None) -> TrainedVersion:
    """Build the frame, train and evaluate out of time, save a new version and apply the gate."""
    config = config or PredictionConfig(seed=seed)
    uc = get_use_case(use_case)
    earliest = pd.Timestamp(config.earliest_snapshot).date() if config.earliest_snapshot else None
    with connect(settings.warehouse_path, read_only=True) as con:
        frame = dataset.build_frame(con, uc, quarterly=True, earliest_snapshot=earliest, labelled_only=True)
    model, metadata = evaluate_and_build(uc, frame, config, seed)
    version = registry.save_version(settings, uc.name, model, metadata)
    reg = registry.record_decision(settings, version)
    return TrainedVersion(uc.name, version, bool(metadata["gate"]["promoted"]), reg["promoted_version"])


def train_all(settings: Settings, seed: int = 42, config: PredictionConfig | None = None) -> dict[str, TrainedVersion]:
    return {name: train_use_case(settings, name, seed=seed, config=config) for name in USE_CASES}
