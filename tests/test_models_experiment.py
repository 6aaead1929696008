"""``ce_vs_squared`` and ``crossentropy experiment ce-vs-squared``.

Oracles: each reported number is recomputed independently from a model trained again
with the same seed (determinism), with scikit-learn's ``log_loss`` on its predictions.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np
import pytest

from crossentropy.cli import main
from crossentropy.models import MLPClassifier, ce_vs_squared
from crossentropy.models._experiment import _problem, _split

if TYPE_CHECKING:
    from pathlib import Path

sklearn_metrics = pytest.importorskip("sklearn.metrics")


def test_numbers_match_an_independent_rerun() -> None:
    result = ce_vs_squared("iris", seeds=2, epochs=15, target_accuracy=0.8)
    for loss, summary in result.results.items():
        assert summary.curves.shape == (2, 15)
        for seed in range(2):
            rng = np.random.default_rng(seed)
            x, y = _problem("iris", rng)
            train, test = _split(len(y), rng, 0.3)
            model = MLPClassifier(
                hidden_layer_sizes=(8,),
                loss=loss,
                optimizer="sgd",
                learning_rate=0.1,
                epochs=15,
                batch_size=16,
                rng=seed,
            ).fit(x[train], y[train])
            curve = [entry["accuracy"] for entry in model.history_]
            np.testing.assert_array_equal(summary.curves[seed], curve)
            reached = [i + 1 for i, a in enumerate(curve) if a >= 0.8]
            assert summary.epochs_to_target[seed] == (reached[0] if reached else None)
            proba = model.predict_proba(x[test])
            expected = sklearn_metrics.log_loss(y[test], proba, labels=[0, 1, 2])
            assert summary.final_log_loss[seed] == pytest.approx(expected, rel=1e-12)


def test_synthetic_problem_and_bad_arguments() -> None:
    result = ce_vs_squared("synthetic", seeds=1, epochs=3, target_accuracy=0.5)
    assert set(result.results) == {"cross_entropy", "squared"}
    with pytest.raises(ValueError, match="problem"):
        ce_vs_squared("mnist", seeds=1, epochs=1)
    with pytest.raises(ValueError, match="target_accuracy"):
        ce_vs_squared("iris", seeds=1, epochs=1, target_accuracy=1.5)


def test_cli_json_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plot = tmp_path / "curves.png"
    argv = ["experiment", "ce-vs-squared", "--problem", "iris", "--seeds", "2", "--epochs", "5"]
    assert main([*argv, "--json", "--plot", str(plot)]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload[0]["problem"] == "iris"
    assert payload[0]["seeds"] == 2
    assert set(payload[0]["losses"]) == {"cross_entropy", "squared"}
    from matplotlib.image import imread

    image = imread(str(plot))
    assert image.std() > 0
    assert main([*argv, "--plot", str(plot)]) == 2
    assert "already exists" in capsys.readouterr().err
