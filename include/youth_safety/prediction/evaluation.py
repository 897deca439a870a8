"""Out-of-time evaluation: discrimination, calibration, review-list precision, fairness.

All figures are computed on the held-out snapshot dates only.

- ROC AUC, PR AUC (average precision), Brier score, base rate: pooled over held-out rows.
- Reliability curve: 10 bins on deciles of the score (equal-count bins; equal-width bins would put
  nearly every child of a 1% base rate in the first bin), each with mean score, observed rate, count.
- Precision and recall at review-list sizes 25/50/100/200: computed per held-out snapshot date
  (the top k children of that date's cohort) and averaged over the held-out snapshot dates.
- Ties in a score (the rule baseline is a small count) are broken by a seeded random order, so a
  top-k list is reproducible and does not depend on key order.
- Fairness (fairlearn MetricFrame) at one operating point: the top ``operating_point_top_k`` per
  held-out snapshot date are "selected"; selection rate, true-positive rate, false-positive rate
  and precision are computed on the pooled held-out rows by ethnicity major group (reference:
  White), sex (reference: boys, M) and each of the strategy's cohorts (reference: children not in
  the cohort), with group counts and each metric's ratio to the reference group.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
from sklearn.metrics import average_precision_score, brier_score_loss, precision_score, roc_auc_score

from youth_safety.config import PredictionConfig
from youth_safety.prediction.dataset import COHORT_FLAGS

FAIRNESS_METRICS = ("selection_rate", "true_positive_rate", "false_positive_rate", "precision")
RATIO_NAMES = {m: f"{m}_ratio" for m in FAIRNESS_METRICS}


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(float(x)) else None


def top_k_by_snapshot(snapshot_dates: pd.Series, scores: np.ndarray, k: int, seed: int) -> np.ndarray:
    """True for the top k scores of each snapshot date (ties broken by a seeded random order)."""
    rng = np.random.default_rng(seed)
    tiebreak = rng.random(len(scores))
    order = pd.DataFrame({"d": np.asarray(snapshot_dates), "s": -np.asarray(scores, dtype=float), "t": tiebreak})
    order = order.sort_values(["d", "s", "t"], kind="mergesort")
    rank = order.groupby("d").cumcount()
    selected = np.zeros(len(scores), dtype=bool)
    selected[order.index[rank.to_numpy() < k]] = True
    return selected


def precision_recall_at_k(snapshot_dates: pd.Series, labels: np.ndarray, scores: np.ndarray, sizes, seed: int) -> dict:
    """Per size k: precision and recall of the top k per snapshot date, averaged over the dates."""
    out: dict[str, dict] = {}
    y = np.asarray(labels, dtype=bool)
    dates = np.asarray(snapshot_dates)
    for k in sizes:
        selected = top_k_by_snapshot(pd.Series(dates), scores, k, seed)
        precisions, recalls = [], []
        for d in np.unique(dates):
            in_d = dates == d
            sel = selected & in_d
            n_sel = int(sel.sum())
            hits = int((sel & y).sum())
            positives = int((in_d & y).sum())
            precisions.append(hits / n_sel if n_sel else float("nan"))
            recalls.append(hits / positives if positives else float("nan"))
        out[str(k)] = {
            "precision": _finite(np.nanmean(precisions)) if np.isfinite(precisions).any() else None,
            "recall": _finite(np.nanmean(recalls)) if np.isfinite(recalls).any() else None,
            "snapshot_dates": int(len(np.unique(dates))),
        }
    return out


def reliability_curve(labels: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> list[dict]:
    """Deciles of the score: mean score, observed rate, count per bin."""
    frame = pd.DataFrame({"y": np.asarray(labels, dtype=float), "p": np.asarray(probabilities, dtype=float)})
    if frame.empty:
        return []
    ranks = frame["p"].rank(method="first")
    frame["bin"] = pd.qcut(ranks, q=min(bins, len(frame)), labels=False, duplicates="drop")
    table = frame.groupby("bin").agg(mean_score=("p", "mean"), observed_rate=("y", "mean"), count=("y", "size"))
    return [
        {"bin": int(b) + 1, "mean_score": float(r.mean_score), "observed_rate": float(r.observed_rate), "count": int(r["count"])}
        for b, r in table.iterrows()
    ]


def evaluate_scores(
    snapshot_dates: pd.Series,
    labels: np.ndarray,
    ranking_scores: np.ndarray,
    probabilities: np.ndarray,
    config: PredictionConfig,
    seed: int,
) -> dict:
    """Held-out metrics of one scorer; ranking metrics from ``ranking_scores``, calibration from ``probabilities``."""
    y = np.asarray(labels, dtype=int)
    both = len(np.unique(y)) == 2
    return {
        "rows": int(len(y)),
        "positives": int(y.sum()),
        "snapshot_dates": int(pd.Series(snapshot_dates).nunique()),
        "base_rate": _finite(y.mean()) if len(y) else None,
        "roc_auc": _finite(roc_auc_score(y, ranking_scores)) if both else None,
        "pr_auc": _finite(average_precision_score(y, ranking_scores)) if both else None,
        "brier": _finite(brier_score_loss(y, np.clip(probabilities, 0, 1))) if len(y) else None,
        "at_k": precision_recall_at_k(snapshot_dates, y, ranking_scores, config.review_list_sizes, seed),
    }


def _precision(y_true, y_pred) -> float:
    return precision_score(y_true, y_pred, zero_division=np.nan)


def _dimensions(frame: pd.DataFrame) -> list[tuple[str, pd.Series, str]]:
    dims = [
        ("ethnicity_major_group", frame["ethnicity_major_group"].astype(str), "White"),
        ("sex", frame["sex_code"].astype(str), "M"),
    ]
    for flag in COHORT_FLAGS:
        dims.append((flag, frame[flag].map({True: "yes", False: "no"}).astype(str), "no"))
    return dims


def fairness(frame: pd.DataFrame, labels: np.ndarray, selected: np.ndarray, config: PredictionConfig) -> list[dict]:
    """One record per (dimension, group) with counts, the four metrics and their ratios to the reference.

    ``gated`` says whether each gated ratio is judged: the group and the reference have at least
    ``fairness_min_group_rows`` rows and at least ``fairness_min_denominator`` in the metric's
    denominator (positives for TPR, negatives for FPR, selected for precision).
    """
    y = np.asarray(labels, dtype=int)
    sel = np.asarray(selected, dtype=int)
    records: list[dict] = []
    for dimension, groups, reference in _dimensions(frame):
        mf = MetricFrame(
            metrics={
                "selection_rate": selection_rate,
                "true_positive_rate": true_positive_rate,
                "false_positive_rate": false_positive_rate,
                "precision": _precision,
            },
            y_true=y, y_pred=sel, sensitive_features=groups.to_numpy(),
        )
        by_group = mf.by_group
        counts = pd.DataFrame({"g": groups.to_numpy(), "y": y, "s": sel}).groupby("g").agg(
            count=("y", "size"), positives=("y", "sum"), selected=("s", "sum"))
        counts["negatives"] = counts["count"] - counts["positives"]
        if reference not in by_group.index:
            reference = str(counts["count"].idxmax())
        ref = by_group.loc[reference]
        ref_counts = counts.loc[reference]
        denominators = {"true_positive_rate": "positives", "false_positive_rate": "negatives", "precision": "selected"}
        for group in by_group.index:
            row = by_group.loc[group]
            c = counts.loc[group]
            rec = {
                "dimension": dimension, "group": str(group), "reference": reference, "is_reference": group == reference,
                "count": int(c["count"]), "positives": int(c["positives"]), "negatives": int(c["negatives"]),
                "selected": int(c["selected"]),
            }
            eligible_rows = c["count"] >= config.fairness_min_group_rows and ref_counts["count"] >= config.fairness_min_group_rows
            gated: dict[str, bool] = {}
            for m in FAIRNESS_METRICS:
                value = _finite(row[m])
                ref_value = _finite(ref[m])
                rec[m] = value
                rec[RATIO_NAMES[m]] = (value / ref_value) if value is not None and ref_value not in (None, 0.0) else None
                if m in denominators:
                    d = denominators[m]
                    gated[m] = bool(eligible_rows and c[d] >= config.fairness_min_denominator
                                    and ref_counts[d] >= config.fairness_min_denominator)
            rec["gated"] = {m: gated.get(m, False) and m in config.fairness_gated_metrics and group != reference
                            for m in config.fairness_gated_metrics}
            records.append(rec)
    return records


def out_of_bounds(records: list[dict], config: PredictionConfig) -> list[dict]:
    """Gated ratios outside the configured bounds (or not computable for an eligible group)."""
    low, high = config.fairness_ratio_bounds
    found = []
    for rec in records:
        for m, gated in rec["gated"].items():
            if not gated:
                continue
            ratio = rec[RATIO_NAMES[m]]
            if ratio is None or not (low <= ratio <= high):
                found.append({"dimension": rec["dimension"], "group": rec["group"], "reference": rec["reference"],
                              "metric": m, "ratio": ratio, "count": rec["count"]})
    return found
