"""Steps 5, 7 and 8 of the tour: a network trained by :mod:`crossentropy.models`.

``crossentropy.models`` is imported inside the steps (``importlib``), so the rest of the
tour works without it: a step that needs it and cannot import it says so.
"""

from __future__ import annotations

import importlib
import math
import statistics
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from crossentropy import examples, info
from crossentropy._numerics import softmax
from crossentropy.tour import _figures
from crossentropy.tour._types import Draft, Table

if TYPE_CHECKING:
    from types import ModuleType

__all__ = ["ModelCache", "step_5", "step_7", "step_8"]

#: Rows of the shuffled Iris data used for training; the rest are held out for step 8.
N_TRAIN = 100
#: Step 5's network: softmax regression (inputs -> 3 raw outputs -> softmax).
NETWORK_LEARNING_RATE = 0.05
NETWORK_EPOCHS = 200
#: Step 7's experiment: a small MLP trained with each loss, over a few seeds.
#: Plain mini-batch SGD, which does not rescale the gradient (Adam would), so the slopes
#: of step 6 reach the weights as they are.
EXPERIMENT_HIDDEN = (8,)
EXPERIMENT_LEARNING_RATE = 0.1
EXPERIMENT_BATCH_SIZE = 16
EXPERIMENT_EPOCHS = 60
SEEDS = (0, 1, 2, 3, 4)
TARGET_ACCURACY = 0.9
LOSS_NAMES = {"cross_entropy": "cross-entropy", "squared": "squared error"}
NEEDS_MODELS = "this step needs crossentropy.models"


#: What the steps use from crossentropy.models.
REQUIRED = ("load_iris", "SoftmaxRegression", "MLPClassifier")


def _models() -> ModuleType | None:
    """crossentropy.models, or None when it is missing or lacks what the steps use."""
    try:
        module = importlib.import_module("crossentropy.models")
    except ModuleNotFoundError as error:
        if error.name and error.name.startswith("crossentropy"):
            return None
        raise
    return module if all(hasattr(module, name) for name in REQUIRED) else None


def _missing(title: str, error: str) -> Draft:
    return Draft(title=title, text=f"{NEEDS_MODELS}, which is {error}.", tables=(), numbers={})


@dataclass
class Split:
    """The Iris data, shuffled with seed 0, standardised with the training rows' statistics."""

    raw_train: np.ndarray
    x_train: np.ndarray
    y_train: np.ndarray
    raw_test: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    target_names: tuple[str, ...]


class ModelCache:
    """The data split and step 5's trained network, shared by steps 5 and 8."""

    def __init__(self) -> None:
        self._split: Split | None = None
        self._network: Any = None

    def split(self, models: ModuleType) -> Split:
        """Load Iris and split it (once)."""
        if self._split is None:
            dataset = models.load_iris()
            data = np.asarray(dataset.data, dtype=np.float64)
            target = np.asarray(dataset.target, dtype=np.int64)
            order = np.random.default_rng(0).permutation(len(target))
            train, test = order[:N_TRAIN], order[N_TRAIN:]
            mean, std = data[train].mean(axis=0), data[train].std(axis=0)
            self._split = Split(
                raw_train=data[train],
                x_train=(data[train] - mean) / std,
                y_train=target[train],
                raw_test=data[test],
                x_test=(data[test] - mean) / std,
                y_test=target[test],
                target_names=tuple(str(name) for name in dataset.target_names),
            )
        return self._split

    def network(self, models: ModuleType) -> Any:
        """Step 5's softmax regression, trained with cross-entropy (once)."""
        if self._network is None:
            split = self.split(models)
            model = models.SoftmaxRegression(
                loss="cross_entropy",
                optimizer="adam",
                learning_rate=NETWORK_LEARNING_RATE,
                epochs=NETWORK_EPOCHS,
                rng=0,
            )
            self._network = model.fit(split.x_train, split.y_train)
        return self._network


def _f(value: float, digits: int = 4) -> str:
    return f"{value:.{digits}f}" if math.isfinite(value) else str(value)


def _vector(values: Any, digits: int = 2) -> str:
    return "(" + ", ".join(f"{float(v):.{digits}f}" for v in values) + ")"


def _tutorial_table(numbers: dict[str, float]) -> Table:
    rows = []
    losses = []
    for i, row in enumerate(examples.IRIS_ROWS):
        loss = float(info.information(row.probability))
        losses.append(loss)
        numbers[f"tutorial_row{i + 1}"] = loss
        rows.append((row.name, f"{row.probability:.2f}", _f(loss), f"{row.printed:.2f}"))
    total = math.fsum(losses)
    numbers["tutorial_total"] = total
    numbers["tutorial_printed_total"] = examples.IRIS_PRINTED_TOTAL
    rows.append(("total", "", _f(total), f"{examples.IRIS_PRINTED_TOTAL:.2f}"))
    return Table(
        "the tutorial's three rows (nats)",
        ("row", "p(true species)", "-ln p", "tutorial prints"),
        tuple(rows),
    )


def step_5(cache: ModelCache) -> Draft:
    """The Iris network: widths -> raw outputs -> softmax -> cross-entropy per row -> total."""
    title = "The Iris network, row by row"
    numbers: dict[str, float] = {}
    tutorial = _tutorial_table(numbers)
    models = _models()
    if models is None:
        missing = _missing(title, "not installed or not complete")
        return Draft(title, missing.text, (tutorial,), numbers)
    split = cache.split(models)
    network = cache.network(models)
    # One held-out row of each species, the first in the shuffled order.
    picks = [int(np.flatnonzero(split.y_test == k)[0]) for k in range(len(split.target_names))]
    raw = np.asarray(network.decision_function(split.x_test[picks]), dtype=np.float64)
    probs = np.asarray(softmax(raw, axis=-1))
    proba = np.asarray(network.predict_proba(split.x_test[picks]), dtype=np.float64)
    numbers["softmax_vs_predict_proba"] = float(np.max(np.abs(probs - proba)))
    rows = []
    losses = []
    for j, (i, out, prob) in enumerate(zip(picks, raw, probs, strict=True)):
        label = int(split.y_test[i])
        loss = float(info.information(prob[label]))
        losses.append(loss)
        numbers[f"trained_row{j + 1}"] = loss
        numbers[f"trained_row{j + 1}_probability"] = float(prob[label])
        rows.append(
            (
                _vector(split.raw_test[i], 1),
                _vector(out),
                _vector(prob, 3),
                split.target_names[label],
                _f(loss),
            )
        )
    total = math.fsum(losses)
    numbers["trained_total"] = total
    rows.append(("", "", "", "total", _f(total)))
    test_proba = np.asarray(network.predict_proba(split.x_test), dtype=np.float64)
    mean_ce = float(
        np.mean(info.information(test_proba[np.arange(len(split.y_test)), split.y_test]))
    )
    numbers["trained_mean_test_cross_entropy"] = mean_ce
    tutorial_total = numbers["tutorial_total"]
    text = (
        "A network turns a flower's four measurements (sepal and petal length and width, cm) "
        "into one raw output (logit) per species; softmax makes them probabilities; the "
        "cross-entropy of a row is -ln of the probability of its true species, and the loss "
        "is their sum (or mean). The tutorial's three rows give -ln 0.57 + -ln 0.58 + -ln 0.52 "
        f"= {tutorial_total:.4f}, which rounds to {tutorial_total:.2f}; the tutorial prints "
        f"{examples.IRIS_PRINTED_TOTAL:.2f}, the sum of its rounded terms. Below, the same "
        "table for a softmax-regression network trained by crossentropy.models (Adam, "
        f"{NETWORK_EPOCHS} epochs, {N_TRAIN} training rows, inputs standardised) on one "
        f"held-out flower of each species. Its mean over all {len(split.y_test)} held-out "
        f"rows is {mean_ce:.4f} nats."
    )
    trained = Table(
        "a network trained by crossentropy.models (held-out rows, nats)",
        ("measurements (cm)", "raw outputs", "softmax", "true species", "-ln p(true)"),
        tuple(rows),
    )
    return Draft(title, text, (tutorial, trained), numbers)


def epochs_to_reach(history: list[dict[str, float]], target: float) -> int | None:
    """The first epoch (1-based) whose accuracy reaches ``target``, or None if none does."""
    for epoch, row in enumerate(history, start=1):
        if row["accuracy"] >= target:
            return epoch
    return None


def step_7() -> Draft:
    """The experiment: the same small network trained with each loss over several seeds."""
    title = "The experiment: cross-entropy versus squared error"
    models = _models()
    if models is None:
        return _missing(title, "not installed or not complete")
    split = ModelCache().split(models)
    curves: dict[str, list[list[dict[str, float]]]] = {}
    numbers: dict[str, float] = {}
    rows = []
    medians: dict[str, float] = {}
    for loss, name in LOSS_NAMES.items():
        histories = []
        reached: list[int | None] = []
        test_acc = []
        for seed in SEEDS:
            model = models.MLPClassifier(
                hidden_layer_sizes=EXPERIMENT_HIDDEN,
                loss=loss,
                optimizer="sgd",
                learning_rate=EXPERIMENT_LEARNING_RATE,
                batch_size=EXPERIMENT_BATCH_SIZE,
                epochs=EXPERIMENT_EPOCHS,
                rng=seed,
            )
            model.fit(split.x_train, split.y_train)
            history = [
                {"loss": float(r["loss"]), "accuracy": float(r["accuracy"])} for r in model.history_
            ]
            histories.append(history)
            epochs = epochs_to_reach(history, TARGET_ACCURACY)
            reached.append(epochs)
            numbers[f"epochs[{loss}][{seed}]"] = math.nan if epochs is None else float(epochs)
            predicted = np.argmax(np.asarray(model.predict_proba(split.x_test)), axis=1)
            test_acc.append(float(np.mean(predicted == split.y_test)))
        curves[loss] = histories
        # Seeds that never reach the target count as "more than the budget" in the median.
        budget = EXPERIMENT_EPOCHS
        median = statistics.median(budget + 1 if e is None else e for e in reached)
        medians[loss] = median
        numbers[f"median_epochs[{loss}]"] = float(median)
        numbers[f"n_reached[{loss}]"] = float(sum(e is not None for e in reached))
        numbers[f"mean_final_train_accuracy[{loss}]"] = statistics.fmean(
            h[-1]["accuracy"] for h in histories
        )
        numbers[f"mean_test_accuracy[{loss}]"] = statistics.fmean(test_acc)
        rows.append(
            (
                name,
                ", ".join("-" if e is None else str(e) for e in reached),
                _median_text(median, budget),
                f"{numbers[f'mean_final_train_accuracy[{loss}]']:.3f}",
                f"{numbers[f'mean_test_accuracy[{loss}]']:.3f}",
            )
        )
    # Seed by seed (the same initial weights for both losses): who got there first.
    budget = EXPERIMENT_EPOCHS
    pairs = [
        (
            _or_beyond(numbers[f"epochs[cross_entropy][{seed}]"], budget),
            _or_beyond(numbers[f"epochs[squared][{seed}]"], budget),
        )
        for seed in SEEDS
    ]
    numbers["seeds_cross_entropy_sooner"] = float(sum(ce < sq for ce, sq in pairs))
    numbers["seeds_squared_sooner"] = float(sum(sq < ce for ce, sq in pairs))
    numbers["seeds_tied"] = float(sum(ce == sq for ce, sq in pairs))
    text = _finding(medians, numbers, EXPERIMENT_EPOCHS)
    return Draft(
        title=title,
        text=text,
        tables=(
            Table(
                f"epochs to reach {TARGET_ACCURACY:.0%} training accuracy, seeds "
                f"{', '.join(map(str, SEEDS))} ('-': not within {EXPERIMENT_EPOCHS} epochs)",
                ("loss", "epochs per seed", "median", "final train acc", "test acc"),
                tuple(rows),
            ),
        ),
        numbers=numbers,
        figures={
            "step7_training_curves.png": lambda: _figures.training_curves_figure(
                curves, TARGET_ACCURACY, EXPERIMENT_EPOCHS, medians
            )
        },
    )


def _or_beyond(epochs: float, budget: int) -> float:
    """Epochs to the target, with "never" (NaN) counted as one more than the budget."""
    return budget + 1.0 if math.isnan(epochs) else epochs


def _median_text(median: float, budget: int) -> str:
    return f"> {budget}" if median > budget else f"{median:g}"


def _finding(medians: dict[str, float], numbers: dict[str, float], budget: int) -> str:
    ce, sq = medians["cross_entropy"], medians["squared"]
    setup = (
        "The same small network (an MLP from crossentropy.models with "
        f"{EXPERIMENT_HIDDEN[0]} hidden units, the same initial weights for both losses) was "
        f"trained on the same {N_TRAIN} Iris rows with each loss: plain SGD, learning rate "
        f"{EXPERIMENT_LEARNING_RATE}, batches of {EXPERIMENT_BATCH_SIZE}, {budget} epochs, "
        f"seeds {', '.join(map(str, SEEDS))}. Plain SGD passes each loss's gradient on "
        "unscaled (Adam would rescale it), so the slopes of step 6 matter. "
    )
    ce_text, sq_text = _median_text(ce, budget), _median_text(sq, budget)
    if ce < sq:
        finding = (
            f"Here cross-entropy reached {TARGET_ACCURACY:.0%} training accuracy sooner: a "
            f"median of {ce_text} epochs against {sq_text} for squared error."
        )
    elif sq < ce:
        finding = (
            f"Here squared error reached {TARGET_ACCURACY:.0%} training accuracy sooner: a "
            f"median of {sq_text} epochs against {ce_text} for cross-entropy, so this run "
            "does not show the usual advantage of cross-entropy."
        )
    else:
        finding = (
            f"Here both losses needed the same median number of epochs ({ce_text}) to reach "
            f"{TARGET_ACCURACY:.0%} training accuracy: no difference at this size."
        )
    seeds = (
        f" Seed by seed, cross-entropy got there first {numbers['seeds_cross_entropy_sooner']:g} "
        f"times, squared error {numbers['seeds_squared_sooner']:g} times, "
        f"{numbers['seeds_tied']:g} tied."
    )
    accuracy = (
        f" Mean held-out accuracy: {numbers['mean_test_accuracy[cross_entropy]']:.3f} with "
        f"cross-entropy, {numbers['mean_test_accuracy[squared]']:.3f} with squared error. "
        "Iris is small and easy and five seeds are few: read this as one honest data point, "
        "not a law. The steeper slope of step 6 matters most when predictions start out "
        "confidently wrong."
    )
    return setup + finding + seeds + accuracy


def step_8(cache: ModelCache) -> Draft:
    """Score step 5's network on the held-out rows: score, verdict and the rule of thumb."""
    title = "Scoring the trained model: verdict, baselines and the rule of thumb"
    models = _models()
    if models is None:
        return _missing(title, "not installed or not complete")
    from crossentropy.scoring import rule_of_thumb, score, verdict

    split = cache.split(models)
    network = cache.network(models)
    proba = np.asarray(network.predict_proba(split.x_test), dtype=np.float64)
    result = score(proba, split.y_test, classes=list(split.target_names))
    judged = verdict(result)
    band, note = rule_of_thumb(result.cross_entropy)
    numbers = {
        "cross_entropy": result.cross_entropy,
        "cross_entropy_bits": result.cross_entropy_bits,
        "accuracy": result.accuracy,
        "uniform_baseline": result.uniform_baseline,
        "prior_entropy": result.prior_entropy,
        "skill": result.skill,
        "n_rows": float(result.n_rows),
    }
    rows = (
        (
            "cross-entropy",
            f"{result.cross_entropy:.4f} nats ({result.cross_entropy_bits:.4f} bits)",
        ),
        ("accuracy", f"{result.accuracy:.3f}"),
        ("uniform guess ln 3", f"{result.uniform_baseline:.4f} nats"),
        ("label frequencies H(prior)", f"{result.prior_entropy:.4f} nats"),
        ("skill 1 - CE / H(prior)", f"{result.skill:.3f}"),
        ("verdict", judged.level),
        ("rule of thumb", band),
    )
    text = (
        f"Step 5's network, scored on the {result.n_rows} held-out flowers with "
        f"crossentropy.scoring (the engine of 'crossentropy score'). {judged.headline} "
        "A cross-entropy means little alone: compare it with what guessing costs (ln K for K "
        "classes) and with always predicting the label frequencies (H(prior)). "
        f"The tutorial rule of thumb puts it at '{band}'. {note}"
    )
    return Draft(
        title=title,
        text=text,
        tables=(Table("held-out predictions, scored", ("measure", "value"), rows),),
        numbers=numbers,
        figures={
            "step8_baselines.png": lambda: _figures.baselines_figure(
                result.cross_entropy, result.prior_entropy, result.n_classes
            )
        },
    )
