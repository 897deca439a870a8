"""The models: regularised logistic regression first, gradient boosting only if it earns its opacity.

Inputs are the point-in-time features of ``dataset.model_features`` only. Sensitive attributes
(sex, ethnicity, the strategy's cohort flags) are never features: ``FeatureEncoder`` refuses them.

Encoding: booleans become 0/1; the three nullable features (age first known to CSC, absence rate
over the last 3 terms, age at first arrest) are filled with their training mean and get a
``__missing`` indicator, so a missing value contributes through the indicator only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from youth_safety.config import PredictionConfig
from youth_safety.prediction.dataset import AUDIT_COLUMNS

SENSITIVE_COLUMNS: tuple[str, ...] = (*AUDIT_COLUMNS, "ethnicity_code", "ethnicity_label", "birth_year", "birth_month")
NULLABLE_FEATURES: tuple[str, ...] = ("age_first_known_to_csc", "absence_rate_last_3_terms", "age_first_arrest")
MISSING_SUFFIX = "__missing"

LOGISTIC_REGRESSION = "logistic_regression"
GRADIENT_BOOSTING = "hist_gradient_boosting"


class FeatureEncoder:
    """Raw point-in-time features -> numeric model matrix (fitted on the training rows)."""

    def __init__(self, features: list[str]) -> None:
        leaked = sorted(set(features) & set(SENSITIVE_COLUMNS))
        if leaked:
            raise ValueError(f"sensitive attributes are never features: {leaked}")
        self.features = list(features)
        self.fill_values: dict[str, float] = {}

    @property
    def columns(self) -> list[str]:
        cols: list[str] = []
        for f in self.features:
            cols.append(f)
            if f in NULLABLE_FEATURES:
                cols.append(f + MISSING_SUFFIX)
        return cols

    def source_feature(self, column: str) -> str:
        return column.removesuffix(MISSING_SUFFIX)

    def fit(self, frame: pd.DataFrame) -> "FeatureEncoder":
        for f in self.features:
            if f in NULLABLE_FEATURES:
                values = pd.to_numeric(frame[f], errors="coerce").astype(float)
                mean = values.mean()
                self.fill_values[f] = float(mean) if np.isfinite(mean) else 0.0
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        out: dict[str, np.ndarray] = {}
        for f in self.features:
            values = pd.to_numeric(frame[f].astype("float64") if frame[f].dtype == bool else frame[f], errors="coerce").astype(float)
            if f in NULLABLE_FEATURES:
                missing = values.isna().to_numpy()
                out[f] = values.fillna(self.fill_values.get(f, 0.0)).to_numpy()
                out[f + MISSING_SUFFIX] = missing.astype(float)
            else:
                out[f] = values.fillna(0.0).to_numpy()
        return pd.DataFrame(out, index=frame.index, columns=self.columns)


class ScoringModel:
    """A fitted model with its encoder: ``predict`` gives probabilities, ``contributions`` log-odds parts."""

    def __init__(self, use_case: str, features: list[str], model_type: str, config: PredictionConfig, seed: int) -> None:
        self.use_case = use_case
        self.encoder = FeatureEncoder(features)
        self.model_type = model_type
        self.seed = seed
        if model_type == LOGISTIC_REGRESSION:
            self.estimator = Pipeline([
                ("scale", StandardScaler()),
                ("lr", LogisticRegression(C=config.lr_c, l1_ratio=0.0, solver="lbfgs", max_iter=config.lr_max_iter, random_state=seed)),
            ])
        elif model_type == GRADIENT_BOOSTING:
            self.estimator = HistGradientBoostingClassifier(
                max_iter=config.gbm_max_iter, learning_rate=config.gbm_learning_rate,
                max_leaf_nodes=config.gbm_max_leaf_nodes, early_stopping=False, random_state=seed,
            )
        else:
            raise ValueError(f"unknown model type {model_type!r}")
        self.reference_row: np.ndarray | None = None

    @property
    def features(self) -> list[str]:
        return self.encoder.features

    def fit(self, frame: pd.DataFrame, label: pd.Series) -> "ScoringModel":
        x = self.encoder.fit(frame).transform(frame)
        self.estimator.fit(x.to_numpy(), np.asarray(label, dtype=int))
        self.reference_row = x.mean(axis=0).to_numpy()
        return self

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        x = self.encoder.transform(frame).to_numpy()
        return self.estimator.predict_proba(x)[:, 1]

    def decision(self, x: np.ndarray) -> np.ndarray:
        """Log-odds of the encoded matrix."""
        return self.estimator.decision_function(x)

    def coefficients(self) -> dict[str, float] | None:
        """LR coefficients on the standardized scale (per model column) and the intercept."""
        if self.model_type != LOGISTIC_REGRESSION:
            return None
        lr = self.estimator.named_steps["lr"]
        coefs = {c: float(v) for c, v in zip(self.encoder.columns, lr.coef_[0])}
        coefs["(intercept)"] = float(lr.intercept_[0])
        return coefs

    def column_contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Per model column, its contribution to the row's log-odds relative to the average row.

        LR: coefficient x standardized value (exact: they sum to log-odds minus the log-odds at the
        training mean). Gradient boosting: single-feature occlusion, the change in log-odds when the
        column is set to its training mean (a SHAP-like local attribution, not Shapley values).
        """
        x = self.encoder.transform(frame)
        if self.model_type == LOGISTIC_REGRESSION:
            scaler = self.estimator.named_steps["scale"]
            lr = self.estimator.named_steps["lr"]
            z = scaler.transform(x.to_numpy())
            return pd.DataFrame(z * lr.coef_[0], index=frame.index, columns=x.columns)
        xm = x.to_numpy()
        full = self.decision(xm)
        out = np.zeros_like(xm)
        for j in range(xm.shape[1]):
            occluded = xm.copy()
            occluded[:, j] = self.reference_row[j]
            out[:, j] = full - self.decision(occluded)
        return pd.DataFrame(out, index=frame.index, columns=x.columns)

    def contributions(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Contributions per raw feature (a nullable feature's value and missing indicator summed)."""
        cols = self.column_contributions(frame)
        grouped = {f: np.zeros(len(frame)) for f in self.features}
        for c in cols.columns:
            grouped[self.encoder.source_feature(c)] += cols[c].to_numpy()
        return pd.DataFrame(grouped, index=frame.index, columns=self.features)


def fit_model(use_case: str, features: list[str], model_type: str, train: pd.DataFrame, config: PredictionConfig, seed: int) -> ScoringModel:
    return ScoringModel(use_case, features, model_type, config, seed).fit(train, train["label"])
