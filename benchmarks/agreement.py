"""Measure how closely crossentropy agrees with the reference libraries.

For every function with a counterpart in PyTorch, Keras, scikit-learn or SciPy, this
script computes both on the same random inputs and prints the largest relative error
(float64), and for float32 the error of each side against the float64 truth in units
of float32 epsilon, so "ours" can be read against "theirs".

Run: ``.venv/bin/python benchmarks/agreement.py [--json]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import warnings

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

EPS32 = float(np.finfo(np.float32).eps)


def rel_err(ours: Any, theirs: Any) -> float:
    """Max relative error, |a - b| / max(|b|, tiny), over finite entries (infs must match)."""
    a = np.asarray(ours, dtype=np.float64)
    b = np.asarray(theirs, dtype=np.float64)
    if not np.array_equal(np.isinf(a), np.isinf(b)) or np.isnan(a).any() or np.isnan(b).any():
        return float("inf")
    finite = np.isfinite(b)
    scale = np.maximum(np.abs(b[finite]), 1e-300)
    return float(np.max(np.abs(a[finite] - b[finite]) / scale, initial=0.0))


def ulps32(value32: Any, truth64: Any) -> float:
    """Error of a float32 result against the float64 truth, in eps32 x max(|truth|, 1)."""
    a = np.asarray(value32, dtype=np.float64)
    b = np.asarray(truth64, dtype=np.float64)
    return float(np.max(np.abs(a - b) / (EPS32 * np.maximum(np.abs(b), 1.0)), initial=0.0))


def _data(rng: np.random.Generator, n: int = 2000, c: int = 37) -> dict[str, np.ndarray]:
    logits = rng.normal(0.0, 4.0, (n, c))
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    labels = rng.integers(0, c, n)
    labels[rng.random(n) < 0.1] = -100
    soft = rng.dirichlet(np.ones(c), n)
    return {
        "logits": logits,
        "probs": probs,
        "labels": labels,
        "soft": soft,
        "weight": rng.uniform(0.1, 2.0, c),
        "p": rng.dirichlet(np.ones(c) * 0.5, n),
        "q": rng.dirichlet(np.ones(c) * 0.5, n),
        "bin_logits": rng.normal(0.0, 5.0, (n, 7)),
        "bin_target": rng.uniform(0.0, 1.0, (n, 7)),
        "bin_probs": rng.uniform(1e-6, 1 - 1e-6, (n, 7)),
        "pos_weight": rng.uniform(0.5, 3.0, 7),
        "joint": rng.integers(0, 50, (9, 13)).astype(np.float64),
    }


Row = dict[str, Any]


def _row(
    area: str,
    name: str,
    ref: str,
    f64: float,
    ours32: float | None = None,
    theirs32: float | None = None,
) -> Row:
    return {
        "area": area,
        "function": name,
        "reference": ref,
        "float64_max_rel_err": f64,
        "float32_ours_eps": ours32,
        "float32_reference_eps": theirs32,
    }


def info_rows(d: dict[str, np.ndarray]) -> list[Row]:
    import scipy.spatial.distance as ssd
    import scipy.stats as st
    from sklearn.metrics import mutual_info_score

    import crossentropy as ce

    p, q = d["p"], d["q"]
    rows = []
    truth = st.entropy(p, axis=1)
    rows.append(
        _row(
            "info",
            "entropy",
            "scipy.stats.entropy",
            rel_err(ce.entropy(p), truth),
            ulps32(ce.entropy(p.astype(np.float32)), truth),
            ulps32(st.entropy(p.astype(np.float32), axis=1), truth),
        )
    )
    truth = st.entropy(p, q, axis=1)
    rows.append(
        _row(
            "info",
            "kl_divergence",
            "scipy.stats.entropy(p, q)",
            rel_err(ce.kl_divergence(p, q), truth),
            ulps32(ce.kl_divergence(p.astype(np.float32), q.astype(np.float32)), truth),
            ulps32(st.entropy(p.astype(np.float32), q.astype(np.float32), axis=1), truth),
        )
    )
    truth = st.entropy(p, axis=1) + st.entropy(p, q, axis=1)
    rows.append(
        _row(
            "info", "cross_entropy", "scipy H(p) + KL(p||q)", rel_err(ce.cross_entropy(p, q), truth)
        )
    )
    truth = ssd.jensenshannon(p, q, axis=1, base=2)
    rows.append(
        _row(
            "info",
            "js_distance (bits)",
            "scipy jensenshannon",
            rel_err(ce.js_distance(p, q, base="bits"), truth),
        )
    )
    joint = d["joint"]
    truth = mutual_info_score(None, None, contingency=joint)
    rows.append(
        _row(
            "info",
            "mutual_information",
            "sklearn mutual_info_score",
            rel_err(ce.mutual_information(joint / joint.sum()), truth),
        )
    )
    return rows


def loss_rows(d: dict[str, np.ndarray]) -> list[Row]:
    import torch
    import torch.nn.functional as F

    from crossentropy import losses as L

    torch.set_num_threads(2)
    t = torch.from_numpy
    rows = []

    def both(ours: Callable[[Any], Any], theirs: Callable[[Any], Any], x: np.ndarray) -> tuple:
        v64 = theirs(t(x)).item()
        ours64 = float(ours(x))
        o32 = float(ours(x.astype(np.float32)))
        th32 = theirs(t(x.astype(np.float32))).item()
        return rel_err(ours64, v64), ulps32(o32, v64), ulps32(th32, v64)

    lab, w = d["labels"], d["weight"]
    cases = {
        "softmax_cross_entropy (labels)": (
            lambda x: L.softmax_cross_entropy(x, lab),
            lambda x: F.cross_entropy(x, t(lab)),
            d["logits"],
        ),
        "softmax_cross_entropy (weight, smoothing, ignore)": (
            lambda x: L.softmax_cross_entropy(
                x, lab, weight=w.astype(x.dtype), label_smoothing=0.1
            ),
            lambda x: F.cross_entropy(x, t(lab), weight=t(w).to(x.dtype), label_smoothing=0.1),
            d["logits"],
        ),
        "softmax_cross_entropy (soft targets)": (
            lambda x: L.softmax_cross_entropy(x, d["soft"].astype(x.dtype)),
            lambda x: F.cross_entropy(x, t(d["soft"]).to(x.dtype)),
            d["logits"],
        ),
        "categorical_cross_entropy (probs)": (
            lambda x: L.categorical_cross_entropy(x, lab),
            lambda x: F.nll_loss(torch.log(x), t(lab)),
            d["probs"],
        ),
        "binary_cross_entropy": (
            lambda x: L.binary_cross_entropy(x, d["bin_target"].astype(x.dtype)),
            lambda x: F.binary_cross_entropy(x, t(d["bin_target"]).to(x.dtype)),
            d["bin_probs"],
        ),
        "binary_cross_entropy_with_logits (pos_weight)": (
            lambda x: L.binary_cross_entropy_with_logits(
                x, d["bin_target"].astype(x.dtype), pos_weight=d["pos_weight"].astype(x.dtype)
            ),
            lambda x: F.binary_cross_entropy_with_logits(
                x, t(d["bin_target"]).to(x.dtype), pos_weight=t(d["pos_weight"]).to(x.dtype)
            ),
            d["bin_logits"],
        ),
    }
    for name, (ours, theirs, x) in cases.items():
        rows.append(_row("losses", name, "torch.nn.functional", *both(ours, theirs, x)))

    # gradients: analytic value_and_grad against torch autograd, float64
    grads = {
        "grad softmax_cross_entropy (weight, smoothing, ignore)": (
            lambda x: (
                L.value_and_grad(L.softmax_cross_entropy)(
                    x, lab, weight=w, label_smoothing=0.1
                ).grad
            ),
            lambda z: F.cross_entropy(z, t(lab), weight=t(w), label_smoothing=0.1),
            d["logits"],
        ),
        "grad categorical_cross_entropy": (
            lambda x: L.value_and_grad(L.categorical_cross_entropy)(x, lab).grad,
            lambda z: F.nll_loss(torch.log(z), t(lab)),
            d["probs"],
        ),
        "grad binary_cross_entropy_with_logits (pos_weight)": (
            lambda x: (
                L.value_and_grad(L.binary_cross_entropy_with_logits)(
                    x, d["bin_target"], pos_weight=d["pos_weight"]
                ).grad
            ),
            lambda z: F.binary_cross_entropy_with_logits(
                z, t(d["bin_target"]), pos_weight=t(d["pos_weight"])
            ),
            d["bin_logits"],
        ),
    }
    for name, (ours, theirs, x) in grads.items():
        z = t(x.copy()).requires_grad_(True)
        theirs(z).backward()
        assert z.grad is not None
        g = z.grad.numpy()
        # relative to the largest gradient entry: entries near 0 have no relative scale
        err = float(np.max(np.abs(ours(x) - g)) / np.max(np.abs(g)))
        rows.append(_row("gradients", name, "torch autograd", err))
    return rows


def compat_rows(d: dict[str, np.ndarray]) -> list[Row]:
    import keras
    import sklearn.metrics as skm
    import torch
    import torch.nn.functional as F

    from crossentropy.compat import keras as ck
    from crossentropy.compat import sklearn as cs
    from crossentropy.compat import torch as ct

    t = torch.from_numpy
    rows = []
    lab, w = d["labels"], d["weight"]
    for name, ours, theirs in [
        (
            "cross_entropy (weight, smoothing, ignore)",
            ct.cross_entropy(d["logits"], lab, weight=w, label_smoothing=0.1),
            F.cross_entropy(t(d["logits"]), t(lab), weight=t(w), label_smoothing=0.1),
        ),
        (
            "nll_loss",
            ct.nll_loss(np.log(d["probs"]), lab),
            F.nll_loss(t(np.log(d["probs"])), t(lab)),
        ),
        (
            "binary_cross_entropy",
            ct.binary_cross_entropy(d["bin_probs"], d["bin_target"]),
            F.binary_cross_entropy(t(d["bin_probs"]), t(d["bin_target"])),
        ),
        (
            "binary_cross_entropy_with_logits",
            ct.binary_cross_entropy_with_logits(
                d["bin_logits"], d["bin_target"], pos_weight=d["pos_weight"]
            ),
            F.binary_cross_entropy_with_logits(
                t(d["bin_logits"]), t(d["bin_target"]), pos_weight=t(d["pos_weight"])
            ),
        ),
    ]:
        rows.append(_row("compat.torch", name, "torch.nn.functional", rel_err(ours, theirs)))
    logq, logp = np.log(d["q"]), np.log(d["p"])
    # Both sides warn that kl_div's "mean" is not the KL mean; that is the point here.
    warnings.filterwarnings("ignore", message="reduction: 'mean' divides")
    for reduction in ("none", "sum", "mean", "batchmean"):
        for log_target in (False, True):
            target = logp if log_target else d["p"]
            rows.append(
                _row(
                    "compat.torch",
                    f"kl_div({reduction}, log_target={log_target})",
                    "torch",
                    rel_err(
                        ct.kl_div(logq, target, reduction=reduction, log_target=log_target),
                        F.kl_div(t(logq), t(target), reduction=reduction, log_target=log_target),
                    ),
                )
            )

    onehot = np.eye(d["probs"].shape[1])[np.where(lab < 0, 0, lab)]
    keras.config.set_floatx("float64")
    kt = keras.ops.convert_to_tensor
    for name, ours, theirs in [
        (
            "categorical_crossentropy",
            ck.categorical_crossentropy(onehot, d["probs"]),
            keras.losses.categorical_crossentropy(kt(onehot), kt(d["probs"])),
        ),
        (
            "categorical_crossentropy(from_logits, smoothing)",
            ck.categorical_crossentropy(onehot, d["logits"], from_logits=True, label_smoothing=0.1),
            keras.losses.categorical_crossentropy(
                kt(onehot), kt(d["logits"]), from_logits=True, label_smoothing=0.1
            ),
        ),
        (
            "sparse_categorical_crossentropy",
            ck.sparse_categorical_crossentropy(np.where(lab < 0, 0, lab), d["probs"]),
            keras.losses.sparse_categorical_crossentropy(
                kt(np.where(lab < 0, 0, lab)), kt(d["probs"])
            ),
        ),
        (
            "binary_crossentropy",
            ck.binary_crossentropy(d["bin_target"], d["bin_probs"]),
            keras.losses.binary_crossentropy(kt(d["bin_target"]), kt(d["bin_probs"])),
        ),
    ]:
        rows.append(
            _row(
                "compat.keras",
                name,
                f"keras {keras.__version__} (torch, floatx=float64)",
                rel_err(ours, keras.ops.convert_to_numpy(theirs)),
            )
        )
    keras.config.set_floatx("float32")

    yb = (d["bin_target"][:, 0] > 0.5).astype(int)
    rows.append(
        _row(
            "compat.sklearn",
            "log_loss (multiclass)",
            "sklearn.metrics.log_loss",
            rel_err(
                cs.log_loss(np.where(lab < 0, 0, lab), d["probs"]),
                skm.log_loss(
                    np.where(lab < 0, 0, lab), d["probs"], labels=np.arange(d["probs"].shape[1])
                ),
            ),
        )
    )
    rows.append(
        _row(
            "compat.sklearn",
            "log_loss (binary, sample_weight)",
            "sklearn.metrics.log_loss",
            rel_err(
                cs.log_loss(
                    yb, d["bin_probs"][:, 0], sample_weight=d["pos_weight"][np.arange(len(yb)) % 7]
                ),
                skm.log_loss(
                    yb, d["bin_probs"][:, 0], sample_weight=d["pos_weight"][np.arange(len(yb)) % 7]
                ),
            ),
        )
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON rows on stdout")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    d = _data(np.random.default_rng(args.seed))
    rows = info_rows(d) + loss_rows(d) + compat_rows(d)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(
        "| area | function | reference | float64 max rel. err | float32 ours (eps32) "
        "| float32 reference (eps32) |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:

        def f(v: float | None) -> str:
            return "" if v is None else f"{v:.2g}"

        print(
            f"| {r['area']} | {r['function']} | {r['reference']} | "
            f"{f(r['float64_max_rel_err'])} | {f(r['float32_ours_eps'])} | "
            f"{f(r['float32_reference_eps'])} |"
        )
    worst = max(r["float64_max_rel_err"] for r in rows)
    print(f"\nworst float64 relative error: {worst:.2g}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
