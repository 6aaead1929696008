"""Steps 1-4 and 6 of the tour: information, entropy, cross-entropy, labels, losses.

Every number comes from :mod:`crossentropy.info` (or, for the squared residual, which
the library has no function for, from its one-line formula).
"""

from __future__ import annotations

import math

import numpy as np

from crossentropy import examples, info
from crossentropy.tour import _figures
from crossentropy.tour._types import Draft, Table

__all__ = ["SURPRISE_PROBABILITIES", "step_1", "step_2", "step_3", "step_4", "step_6"]

#: The events of step 1, from certain to one in a thousand.
SURPRISE_PROBABILITIES = (1.0, 0.9, 0.5, 0.25, 0.1, 0.01, 0.001)
#: The distributions of step 2.
ENTROPY_DISTRIBUTIONS = {
    "uniform": (0.25, 0.25, 0.25, 0.25),
    "skewed": (0.7, 0.1, 0.1, 0.1),
    "certain": (1.0, 0.0, 0.0, 0.0),
}
#: The true distribution p and the model's q of step 3, over (cat, dog, horse).
P_TRUE = (0.6, 0.3, 0.1)
Q_MODEL = (0.4, 0.4, 0.2)
#: The probabilities given to the true class in step 6.
LOSS_PROBABILITIES = (0.99, 0.9, 0.7, 0.5, 0.3, 0.1, 0.01)


def _f(value: float, digits: int = 4) -> str:
    return f"{value:.{digits}f}" if math.isfinite(value) else str(value)


def step_1() -> Draft:
    """Surprise: the information -log p of likely and unlikely events."""
    probs = np.asarray(SURPRISE_PROBABILITIES)
    bits = info.information(probs, base="bits")
    nats = info.information(probs)
    numbers: dict[str, float] = {}
    rows = []
    for p, b, n in zip(SURPRISE_PROBABILITIES, bits, nats, strict=True):
        numbers[f"bits[{p:g}]"] = float(b)
        numbers[f"nats[{p:g}]"] = float(n)
        rows.append((f"{p:g}", f"1 in {1 / p:,.4g}", _f(float(b)), _f(float(n))))
    text = (
        "The information (or surprise) of an event with probability p is -log p. A certain "
        "event (p = 1) tells you nothing: 0. A coin landing heads (p = 0.5) is 1 bit; a "
        "one-in-a-thousand event is about 10 bits. Bits use log base 2, nats the natural log: "
        "1 nat = 1/ln 2 = 1.4427 bits. Machine-learning losses are usually in nats."
    )
    return Draft(
        title="Surprise: information of likely and unlikely events",
        text=text,
        tables=(
            Table(
                "information -log p",
                ("p", "odds", "bits (-log2 p)", "nats (-ln p)"),
                tuple(rows),
            ),
        ),
        numbers=numbers,
        figures={"step1_surprise.png": lambda: _figures.surprise_figure(SURPRISE_PROBABILITIES)},
    )


def step_2() -> Draft:
    """Entropy of a uniform, a skewed and a certain distribution."""
    numbers: dict[str, float] = {}
    bits: dict[str, float] = {}
    rows = []
    for name, probs in ENTROPY_DISTRIBUTIONS.items():
        h_bits = float(info.entropy(probs, base="bits"))
        h_nats = float(info.entropy(probs))
        bits[name] = h_bits
        numbers[f"entropy_bits[{name}]"] = h_bits
        numbers[f"entropy_nats[{name}]"] = h_nats
        shown = ", ".join(f"{v:g}" for v in probs)
        rows.append((name, f"({shown})", _f(h_bits), _f(h_nats)))
    numbers["log2_4"] = math.log2(4)
    text = (
        "Entropy H(p) = -sum p log p is the average surprise of a distribution: how many "
        "bits you need, on average, to say which outcome happened. Four equally likely "
        "outcomes need log2 4 = 2 bits, the most any four-outcome distribution can need. "
        f"The skewed one is more predictable: {bits['skewed']:.4f} bits. A certain outcome "
        "needs none (0 log 0 counts as 0)."
    )
    return Draft(
        title="Entropy: uniform versus skewed",
        text=text,
        tables=(Table("entropy H(p)", ("distribution", "p", "bits", "nats"), tuple(rows)),),
        numbers=numbers,
        figures={"step2_entropy.png": lambda: _figures.entropy_figure(ENTROPY_DISTRIBUTIONS, bits)},
    )


def step_3() -> Draft:
    """Cross-entropy of two distributions, of one with itself, and through KL."""
    p, q = P_TRUE, Q_MODEL
    numbers = {
        "H(p)": float(info.entropy(p)),
        "H(q)": float(info.entropy(q)),
        "H(p,q)": float(info.cross_entropy(p, q)),
        "H(q,p)": float(info.cross_entropy(q, p)),
        "H(p,p)": float(info.cross_entropy(p, p)),
        "KL(p||q)": float(info.kl_divergence(p, q)),
        "KL(q||p)": float(info.kl_divergence(q, p)),
    }
    numbers["H(p)+KL(p||q)"] = numbers["H(p)"] + numbers["KL(p||q)"]
    numbers["H(q)+KL(q||p)"] = numbers["H(q)"] + numbers["KL(q||p)"]
    rows = (
        ("H(p)", "entropy of the truth", _f(numbers["H(p)"])),
        ("H(p, p)", "cross-entropy of p with itself", _f(numbers["H(p,p)"])),
        ("H(p, q)", "cross-entropy: truth p, model q", _f(numbers["H(p,q)"])),
        ("KL(p || q)", "extra cost of using q for p", _f(numbers["KL(p||q)"])),
        ("H(p) + KL(p || q)", "equals H(p, q)", _f(numbers["H(p)+KL(p||q)"])),
        ("H(q)", "entropy of the model", _f(numbers["H(q)"])),
        ("H(q, p)", "the other direction", _f(numbers["H(q,p)"])),
        ("KL(q || p)", "", _f(numbers["KL(q||p)"])),
        ("H(q) + KL(q || p)", "equals H(q, p)", _f(numbers["H(q)+KL(q||p)"])),
    )
    text = (
        "Cross-entropy H(p, q) = -sum p log q is the average surprise when the truth is p but "
        "you expect q. It is never below the entropy H(p), and equals it only when q = p: "
        f"H(p, p) = H(p) = {numbers['H(p)']:.4f} nats. The excess is the KL divergence: "
        f"H(p, q) = H(p) + KL(p || q) = {numbers['H(p)']:.4f} + {numbers['KL(p||q)']:.4f} "
        f"= {numbers['H(p,q)']:.4f}. It is not symmetric: H(q, p) = {numbers['H(q,p)']:.4f}."
    )
    p_text = ", ".join(f"{v:g}" for v in p)
    q_text = ", ".join(f"{v:g}" for v in q)
    return Draft(
        title="Cross-entropy, and its link to KL divergence",
        text=text,
        tables=(Table(f"p = ({p_text}), q = ({q_text}), nats", ("quantity", "", "nats"), rows),),
        numbers=numbers,
        figures={
            "step3_cross_entropy.png": lambda: _figures.distributions_figure(
                ("cat", "dog", "horse"),
                p,
                q,
                f"H(p, q) = {numbers['H(p,q)']:.3f} = H(p) {numbers['H(p)']:.3f}"
                f" + KL(p||q) {numbers['KL(p||q)']:.3f} nats",
            )
        },
    )


def step_4() -> Draft:
    """Class labels as one-hot distributions: the cat/dog/horse example (0.92 and 0.36)."""
    numbers: dict[str, float] = {}
    rows = []
    for row in examples.CAT_DOG_HORSE:
        loss = float(info.cross_entropy(row.target_distribution, row.prediction))
        numbers[row.name] = loss
        numbers[f"{row.name}_printed"] = row.printed
        rows.append(
            (
                row.name,
                "(" + ", ".join(f"{v:g}" for v in row.target_distribution) + ")",
                "(" + ", ".join(f"{v:g}" for v in row.prediction) + ")",
                f"-ln {row.prediction[row.target]:g}",
                _f(loss),
                f"{row.printed:.2f}",
            )
        )
    dog, horse = numbers["dog"], numbers["horse"]
    text = (
        "A class label is a distribution too: 'dog' is (0, 1, 0) over (cat, dog, horse). Its "
        "entropy is 0, and the cross-entropy with a prediction q keeps one term: -ln q[true "
        f"class]. Dog predicted at 0.4 costs -ln 0.4 = {dog:.4f} nats, horse at 0.7 costs "
        f"-ln 0.7 = {horse:.4f}: the tutorial's {dog:.2f} and {horse:.2f}. Only the "
        "probability given to the true class counts."
    )
    return Draft(
        title="Class labels versus probabilities",
        text=text,
        tables=(
            Table(
                "classes (cat, dog, horse), nats",
                ("target", "one-hot p", "prediction q", "H(p, q) =", "nats", "tutorial"),
                tuple(rows),
            ),
        ),
        numbers=numbers,
    )


def step_6() -> Draft:
    """Residuals, squared residuals and cross-entropy for the same predictions."""
    probs = np.asarray(LOSS_PROBABILITIES)
    ce = info.information(probs)  # -ln p, nats
    numbers: dict[str, float] = {}
    rows = []
    for p, loss in zip(LOSS_PROBABILITIES, ce, strict=True):
        residual = 1.0 - p
        # d/dp -ln p = -1/p (unbounded as p -> 0); d/dp (1-p)^2 = -2(1-p) (at most 2).
        numbers[f"cross_entropy[{p:g}]"] = float(loss)
        numbers[f"squared[{p:g}]"] = residual**2
        numbers[f"cross_entropy_slope[{p:g}]"] = -1.0 / p
        numbers[f"squared_slope[{p:g}]"] = -2.0 * residual
        rows.append(
            (
                f"{p:g}",
                _f(residual),
                _f(residual**2),
                _f(float(loss)),
                _f(-2.0 * residual, 2),
                _f(-1.0 / p, 2),
            )
        )
    text = (
        "For a prediction that gives the true class probability p, the residual is 1 - p, the "
        "squared-error loss (1 - p)^2 and the cross-entropy -ln p. For good predictions they "
        "agree roughly; for bad ones they part ways. Squared error can never exceed 1 and its "
        "slope -2(1 - p) never exceeds 2 in size, so a confidently wrong prediction gets a "
        "gentle push. The slope of -ln p is -1/p: at p = 0.01 it is -100, a hard push exactly "
        "where the model is most wrong. (With softmax outputs the gradient of cross-entropy "
        "with respect to the raw outputs is simply q - y.)"
    )
    return Draft(
        title="Residuals, squared residuals and cross-entropy",
        text=text,
        tables=(
            Table(
                "loss for the probability p given to the true class",
                ("p", "residual 1-p", "(1-p)^2", "-ln p", "slope -2(1-p)", "slope -1/p"),
                tuple(rows),
            ),
        ),
        numbers=numbers,
        figures={"step6_losses.png": lambda: _figures.losses_figure(LOSS_PROBABILITIES)},
    )
