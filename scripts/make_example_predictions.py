"""Regenerate the example prediction files bundled in ``src/crossentropy/data/``.

Each file holds out-of-fold predicted probabilities (5-fold stratified cross-validation,
so no row is scored by a model that saw it) of a scikit-learn model on one of the small
public data sets that scikit-learn ships. Run from the repository root::

    .venv/bin/python scripts/make_example_predictions.py

The files are committed; this script documents how they were made and is not run by
the tests or by ``make demo``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import GaussianNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

OUT = Path(__file__).resolve().parents[1] / "src" / "crossentropy" / "data"
FOLDS = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)


def _write(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    print(f"wrote {path.relative_to(OUT.parents[2])} ({len(rows)} rows)")


def _fmt(value: float) -> str:
    return f"{value:.6g}"  # six significant digits: tiny probabilities keep their size


def iris() -> None:
    """Iris (3 classes): standardised multinomial logistic regression."""
    data = load_iris()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    proba = cross_val_predict(model, data.data, data.target, cv=FOLDS, method="predict_proba")
    names = [str(name) for name in data.target_names]
    header = ["species", *(f"p_{name}" for name in names)]
    rows = [[names[t], *map(_fmt, p)] for t, p in zip(data.target, proba, strict=True)]
    _write(OUT / "iris_predictions.csv", header, rows)


def digits() -> None:
    """Digits (10 classes): Gaussian naive Bayes."""
    # Gaussian naive Bayes: a fast, famously over-confident model, so the calibration
    # section of the report has something to show.
    data = load_digits()
    proba = cross_val_predict(
        GaussianNB(), data.data, data.target, cv=FOLDS, method="predict_proba"
    )
    proba = np.clip(proba, 1e-300, None)
    proba /= proba.sum(axis=1, keepdims=True)
    header = ["label", *(f"p_{k}" for k in range(10))]
    rows = [[int(t), *map(_fmt, p)] for t, p in zip(data.target, proba, strict=True)]
    _write(OUT / "digits_naive_bayes_predictions.csv", header, rows)


def breast_cancer() -> None:
    """Breast cancer Wisconsin (binary, malignant = 1): logistic regression."""
    data = load_breast_cancer()
    malignant = (data.target == 0).astype(int)  # scikit-learn codes malignant as 0
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    proba = cross_val_predict(model, data.data, malignant, cv=FOLDS, method="predict_proba")
    rows = [[int(t), _fmt(p)] for t, p in zip(malignant, proba[:, 1], strict=True)]
    _write(OUT / "breast_cancer_predictions.csv", ["malignant", "prob"], rows)


if __name__ == "__main__":
    iris()
    digits()
    breast_cancer()
