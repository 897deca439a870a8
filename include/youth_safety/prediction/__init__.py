"""Predictive identification (issue 6): explainable, out-of-time, fairness-audited models whose
scores prompt a practitioner's review and are never an automated decision (UK GDPR Art. 22).

Modules: use_cases (the two use cases as data), dataset (PIT frames and labels), baseline (the
Spark-review rule score), models (LR / gradient boosting), evaluation (out-of-time metrics,
calibration, fairness), explain (plain-words reasons), registry (versions, promotion gate),
training (train_use_case, train_all).
"""
