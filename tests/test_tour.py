"""The guided tour: every number equals the library's functions or a closed form."""

from __future__ import annotations

import importlib
import io
import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import crossentropy.tour
from crossentropy import examples, info
from crossentropy.cli import main
from crossentropy.scoring import OutputExistsError, rule_of_thumb
from crossentropy.tour import (
    FIGURE_NAMES,
    STEP_TITLES,
    StepResult,
    _steps,
    _steps_models,
    plain_text,
    run_tour,
)

if TYPE_CHECKING:
    from pathlib import Path

FAST_STEPS = [1, 2, 3, 4, 6]  # the steps that train nothing


def _step(number: int) -> StepResult:
    [result] = run_tour([number], plots=False)
    assert result.number == number
    return result


def _models() -> Any:
    models = pytest.importorskip("crossentropy.models")
    missing = [name for name in _steps_models.REQUIRED if not hasattr(models, name)]
    if missing:
        pytest.skip(f"crossentropy.models lacks {missing}")
    return models


def test_public_surface() -> None:
    public = {name for name in dir(crossentropy.tour) if not name.startswith("_")}
    assert set(crossentropy.tour.__all__) == public - {"annotations"}
    assert sorted(STEP_TITLES) == list(range(1, 9))


def test_step_1_information_in_bits_and_nats() -> None:
    numbers = _step(1).numbers
    for p in _steps.SURPRISE_PROBABILITIES:
        assert numbers[f"bits[{p:g}]"] == pytest.approx(-math.log2(p), abs=1e-15)
        assert numbers[f"nats[{p:g}]"] == pytest.approx(-math.log(p), abs=1e-15)
        assert numbers[f"nats[{p:g}]"] == float(info.information(p))
    assert numbers["bits[0.5]"] == 1.0
    assert numbers["bits[1]"] == 0.0


def test_step_2_entropy_closed_forms() -> None:
    numbers = _step(2).numbers
    assert numbers["entropy_bits[uniform]"] == pytest.approx(2.0, rel=1e-15)
    assert numbers["entropy_nats[uniform]"] == pytest.approx(math.log(4), rel=1e-15)
    skewed = -(0.7 * math.log2(0.7) + 3 * 0.1 * math.log2(0.1))
    assert numbers["entropy_bits[skewed]"] == pytest.approx(skewed, rel=1e-14)
    assert numbers["entropy_bits[certain]"] == 0.0
    assert numbers["entropy_bits[skewed]"] < numbers["entropy_bits[uniform]"]


def test_step_3_cross_entropy_and_kl_both_directions() -> None:
    numbers = _step(3).numbers
    p, q = _steps.P_TRUE, _steps.Q_MODEL
    pairs = list(zip(p, q, strict=True))
    assert numbers["H(p,q)"] == pytest.approx(-sum(a * math.log(b) for a, b in pairs))
    assert numbers["H(q,p)"] == pytest.approx(-sum(b * math.log(a) for a, b in pairs))
    assert numbers["H(p,p)"] == pytest.approx(numbers["H(p)"], rel=1e-15)
    assert numbers["H(p)+KL(p||q)"] == pytest.approx(numbers["H(p,q)"], rel=1e-14)
    assert numbers["H(q)+KL(q||p)"] == pytest.approx(numbers["H(q,p)"], rel=1e-14)
    assert numbers["KL(p||q)"] == float(info.kl_divergence(p, q))
    assert numbers["KL(p||q)"] > 0
    assert numbers["KL(p||q)"] != pytest.approx(numbers["KL(q||p)"])


def test_step_4_cat_dog_horse() -> None:
    step = _step(4)
    assert round(step.numbers["dog"], 4) == 0.9163
    assert round(step.numbers["horse"], 4) == 0.3567
    assert round(step.numbers["dog"], 2) == 0.92
    assert round(step.numbers["horse"], 2) == 0.36
    assert step.numbers["dog"] == pytest.approx(-math.log(0.4), rel=1e-15)
    for row in examples.CAT_DOG_HORSE:
        assert step.numbers[row.name] == pytest.approx(row.loss, rel=1e-15)
    assert "0.9163" in plain_text(step)


def test_step_5_tutorial_rows_without_models() -> None:
    step = _step(5)
    for i, row in enumerate(examples.IRIS_ROWS, start=1):
        assert step.numbers[f"tutorial_row{i}"] == pytest.approx(-math.log(row.probability))
    total = step.numbers["tutorial_total"]
    assert total == pytest.approx(-math.log(0.57) - math.log(0.58) - math.log(0.52))
    assert round(total, 2) == 1.76
    assert step.numbers["tutorial_printed_total"] == 1.75
    assert step.tables[0].rows[-1][2] == "1.7608"


def test_steps_5_7_8_say_when_models_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_steps_models, "_models", lambda: None)
    results = run_tour([5, 7, 8], plots=False)
    assert all("this step needs crossentropy.models" in step.text for step in results)
    assert [len(step.tables) for step in results] == [1, 0, 0]  # step 5 keeps the tutorial


def test_step_5_trained_network() -> None:
    _models()
    numbers = _step(5).numbers
    assert numbers["softmax_vs_predict_proba"] < 1e-12
    losses = [numbers[f"trained_row{i}"] for i in (1, 2, 3)]
    for i, loss in enumerate(losses, start=1):
        assert loss == pytest.approx(-math.log(numbers[f"trained_row{i}_probability"]))
    assert numbers["trained_total"] == pytest.approx(math.fsum(losses))
    assert 0 < numbers["trained_mean_test_cross_entropy"] < math.log(3)


def _central_difference(function: Any, x: float, h: float = 1e-6) -> float:
    return (function(x + h) - function(x - h)) / (2 * h)


def test_step_6_losses_and_slopes_by_finite_differences() -> None:
    numbers = _step(6).numbers
    for p in _steps.LOSS_PROBABILITIES:
        assert numbers[f"cross_entropy[{p:g}]"] == pytest.approx(-math.log(p), rel=1e-15)
        assert numbers[f"squared[{p:g}]"] == pytest.approx((1 - p) ** 2, rel=1e-15)
        h = 1e-6 * p  # stay inside (0, 1) for p = 0.01 and p = 0.99
        ce_slope = _central_difference(lambda x: float(info.information(x)), p, h)
        sq_slope = _central_difference(lambda x: (1 - x) ** 2, p, h)
        assert numbers[f"cross_entropy_slope[{p:g}]"] == pytest.approx(ce_slope, rel=1e-6)
        assert numbers[f"squared_slope[{p:g}]"] == pytest.approx(sq_slope, rel=1e-6, abs=1e-9)
        assert numbers[f"cross_entropy_slope[{p:g}]"] == pytest.approx(-1 / p)
        assert abs(numbers[f"squared_slope[{p:g}]"]) <= 2
    assert numbers["cross_entropy_slope[0.01]"] == pytest.approx(-100.0)


def test_epochs_to_reach() -> None:
    history = [{"loss": 1.0, "accuracy": a} for a in (0.3, 0.89, 0.9, 0.95)]
    assert _steps_models.epochs_to_reach(history, 0.9) == 3
    assert _steps_models.epochs_to_reach(history, 0.99) is None


def test_step_7_experiment() -> None:
    _models()
    step = _step(7)
    budget = _steps_models.EXPERIMENT_EPOCHS
    for loss in _steps_models.LOSS_NAMES:
        epochs = [step.numbers[f"epochs[{loss}][{seed}]"] for seed in _steps_models.SEEDS]
        median = float(np.median([budget + 1 if math.isnan(e) else e for e in epochs]))
        assert step.numbers[f"median_epochs[{loss}]"] == median
        assert step.numbers[f"n_reached[{loss}]"] == sum(not math.isnan(e) for e in epochs)
    assert "median" in step.text
    counts = [step.numbers[key] for key in ("seeds_cross_entropy_sooner", "seeds_squared_sooner")]
    assert sum(counts) + step.numbers["seeds_tied"] == len(_steps_models.SEEDS)


def test_step_8_scoring() -> None:
    _models()
    step = _step(8)
    numbers = step.numbers
    assert numbers["uniform_baseline"] == pytest.approx(math.log(3))
    assert numbers["skill"] == pytest.approx(
        1 - numbers["cross_entropy"] / numbers["prior_entropy"]
    )
    assert numbers["cross_entropy_bits"] == pytest.approx(numbers["cross_entropy"] / math.log(2))
    band = rule_of_thumb(numbers["cross_entropy"])[0]
    assert ("rule of thumb", band) in step.tables[0].rows
    assert band in step.text


def test_bad_step_numbers() -> None:
    for bad in (0, 9, 2.0, True):
        with pytest.raises(ValueError, match="steps must be numbers from 1 to 8"):
            run_tour([bad], plots=False)  # type: ignore[list-item]


def test_no_plots_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "figures"
    results = run_tour(FAST_STEPS, plots=False, out=out)
    assert [step.number for step in results] == FAST_STEPS
    assert all(step.figures == () for step in results)
    assert not out.exists()
    assert main(["tour", "--step", "1", "--no-plots", "--out", str(out)]) == 0
    assert not out.exists()


def test_pngs_are_written_and_not_blank(tmp_path: Path) -> None:
    from matplotlib.image import imread

    results = run_tour(FAST_STEPS, out=tmp_path / "out")
    written = [path for step in results for path in step.figures]
    expected = [name for number in FAST_STEPS for name in FIGURE_NAMES.get(number, ())]
    assert [path.name for path in written] == expected
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(expected)
    for path in written:
        image = imread(path)
        assert image.ndim == 3
        assert image.shape[0] > 200
        assert image.shape[1] > 200
        assert float(image[..., :3].std()) > 0.05  # not a blank canvas
        assert len(np.unique(image[..., :3].reshape(-1, 3), axis=0)) > 20


def test_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    [first] = run_tour([1], out=out)
    before = first.figures[0].read_bytes()
    first.figures[0].write_bytes(b"mine")
    with pytest.raises(OutputExistsError, match=r"step1_surprise\.png"):
        run_tour([1], out=out)
    assert first.figures[0].read_bytes() == b"mine"
    assert main(["tour", "--step", "1", "--out", str(out)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert first.figures[0].read_bytes() == b"mine"
    [again] = run_tour([1], out=out, force=True)
    assert again.figures[0].read_bytes() == before
    assert [p.name for p in out.iterdir()] == ["step1_surprise.png"]  # no temporary files


def test_cli_step_runs_only_that_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["tour", "--step", "6", "--out", str(out), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [step["number"] for step in payload] == [6]
    assert payload[0]["numbers"]["cross_entropy_slope[0.01]"] == pytest.approx(-100.0)
    assert [p.name for p in out.iterdir()] == ["step6_losses.png"]


def test_cli_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour", "--step", "4", "--no-plots", "--out", str(tmp_path / "x")]) == 0
    shown = capsys.readouterr().out
    assert "Step 4" in shown
    assert "0.9163" in shown
    assert "Step 3" not in shown


def test_plain_console_output() -> None:
    stream = io.StringIO()
    run_tour([2], plots=False, console=stream)
    shown = stream.getvalue()
    assert shown.startswith("== Step 2: ")
    assert "2.0000" in shown


def test_rich_console_output() -> None:
    rich_console = pytest.importorskip("rich.console")
    console = rich_console.Console(file=io.StringIO(), width=100, color_system=None)
    run_tour([4], plots=False, console=console)
    shown = console.file.getvalue()
    assert "Step 4" in shown
    assert "-ln q[true" in shown  # square brackets are text, not rich markup


def test_tour_module_imports_models_lazily() -> None:
    assert importlib.import_module("crossentropy.tour._steps_models")._models  # smoke


def test_whole_tour_writes_every_figure(tmp_path: Path) -> None:
    _models()
    results = run_tour(out=tmp_path)
    assert [step.number for step in results] == list(range(1, 9))
    written = sorted(path.name for step in results for path in step.figures)
    assert written == sorted(name for names in FIGURE_NAMES.values() for name in names)
    assert sorted(p.name for p in tmp_path.iterdir()) == written
