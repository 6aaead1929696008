"""What a benchmark run measures: the implementations, one case's spec, the suite's settings.

NumPy-free on purpose: ``crossentropy bench --help`` and the parent process that launches
the cases import this module; only the case subprocess (:mod:`._case`) imports the array
libraries.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "FULL_SHAPES",
    "GROUPS",
    "IMPLEMENTATIONS",
    "LINEAR_SHAPE",
    "MODES",
    "OURS",
    "PEERS",
    "PROBABILITY_SHAPE",
    "QUICK_SHAPES",
    "CaseSpec",
    "Implementation",
    "SuiteConfig",
    "implementation",
    "installed",
]

Mode = Literal["forward", "forward+backward"]
Role = Literal["ours", "peer", "floor", "limit"]

MODES: tuple[Mode, ...] = ("forward", "forward+backward")
PEERS = ("torch", "jax", "numpy", "scipy", "sklearn")
OURS = ("kernels", "losses", "torch", "compat")
GROUPS = ("bandwidth", "softmax", "probabilities", "linear")

QUICK_SHAPES: tuple[tuple[int, int], ...] = ((8192, 32000),)
FULL_SHAPES: tuple[tuple[int, int], ...] = ((65536, 1000), (8192, 32000), (4096, 128256))
PROBABILITY_SHAPE = (1_000_000, 10)
LINEAR_SHAPE = (4096, 1024, 128256)  # tokens N, hidden size H, vocabulary V


@dataclass(frozen=True)
class Implementation:
    """One way of computing a group's loss: ours, a peer library's, or a floor.

    Attributes
    ----------
    group : str
        ``"softmax"`` (float32 logits, integer labels), ``"probabilities"`` (float64
        probabilities, integer labels), ``"linear"`` (hidden states times a weight,
        then softmax cross-entropy) or ``"bandwidth"`` (the machine's read limit).
    key : str
        Unique within the group; the case subprocess dispatches on ``(group, key)``.
    label : str
        What the table prints.
    role : {"ours", "peer", "floor", "limit"}
    family : str
        The ``--peers`` name of a peer (torch, jax, numpy, scipy, sklearn) or the
        ``--ours`` name of one of ours (kernels, losses, torch, compat).
    modes : tuple of str
    requires : tuple of str
        Modules that must be importable; checked with ``importlib.util.find_spec``
        (nothing is imported), so a missing one skips the case before it starts.
    """

    group: str
    key: str
    label: str
    role: Role
    family: str
    modes: tuple[Mode, ...]
    requires: tuple[str, ...] = ()


_F: tuple[Mode, ...] = ("forward",)
_B: tuple[Mode, ...] = ("forward+backward",)

IMPLEMENTATIONS: tuple[Implementation, ...] = (
    # The read limit, measured before and after each shape's cases (it drifts on a shared
    # host); the faster of the two is the limit.
    Implementation("bandwidth", "sum", "parallel sum, before the cases", "limit", "", MODES),
    Implementation("bandwidth", "sum-after", "parallel sum, after the cases", "limit", "", MODES),
    # -- softmax cross-entropy of (N, C) float32 logits, integer labels
    Implementation("softmax", "torch", "torch F.cross_entropy", "peer", "torch", MODES, ("torch",)),
    Implementation("softmax", "jax", "optax under jax.jit", "peer", "jax", MODES, ("jax", "optax")),
    Implementation("softmax", "numpy", "NumPy naive", "peer", "numpy", MODES),
    Implementation(
        "softmax", "scipy", "scipy log_softmax + gather", "peer", "scipy", _F, ("scipy",)
    ),
    Implementation("softmax", "kernels", "kernels.softmax_cross_entropy", "ours", "kernels", _F),
    Implementation(
        "softmax", "kernels", "kernels.softmax_cross_entropy_with_grad", "ours", "kernels", _B
    ),
    Implementation(
        "softmax", "kernels-out", "kernels ..._with_grad(out=buffer)", "ours", "kernels", _B
    ),
    Implementation(
        "softmax", "kernels-inplace", "kernels ..._with_grad(inplace=True)", "ours", "kernels", _B
    ),
    Implementation("softmax", "losses", "losses.softmax_cross_entropy", "ours", "losses", _F),
    Implementation(
        "softmax",
        "torch-ours",
        "crossentropy.torch.cross_entropy",
        "ours",
        "torch",
        MODES,
        ("torch", "crossentropy.torch"),
    ),
    # -- cross-entropy of (N, C) float64 probabilities, integer labels
    Implementation(
        "probabilities", "sklearn", "sklearn.metrics.log_loss", "peer", "sklearn", _F, ("sklearn",)
    ),
    Implementation("probabilities", "numpy", "NumPy -log p[y] mean", "peer", "numpy", _F),
    Implementation(
        "probabilities", "losses", "losses.categorical_cross_entropy", "ours", "losses", _F
    ),
    Implementation("probabilities", "compat", "compat.sklearn.log_loss", "ours", "compat", _F),
    # -- linear + softmax cross-entropy: hidden (N, H), weight (V, H), labels (N,)
    Implementation(
        "linear", "torch", "torch F.cross_entropy(h @ W.T)", "peer", "torch", _B, ("torch",)
    ),
    Implementation(
        "linear",
        "torch-ours",
        "crossentropy.torch.linear_cross_entropy",
        "ours",
        "torch",
        _B,
        ("torch", "crossentropy.torch"),
    ),
    Implementation(
        "linear", "matmul-floor", "3 matmuls h@W.T, g@W, g.T@h", "floor", "floor", _B, ("torch",)
    ),
)

_BY_KEY = {(i.group, i.key, mode): i for i in IMPLEMENTATIONS for mode in i.modes}


def implementation(group: str, key: str, mode: str) -> Implementation:
    """The implementation ``key`` of ``group`` in ``mode`` (KeyError if there is none)."""
    return _BY_KEY[group, key, mode]  # type: ignore[index]


def installed(module: str) -> bool:
    """Whether ``module`` can be imported, found without importing it.

    ``find_spec`` of a dotted name imports its parent packages (``crossentropy`` for
    ``crossentropy.torch``), which are light.
    """
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


@dataclass(frozen=True)
class CaseSpec:
    """One measurement, as sent to the case subprocess (``python -m crossentropy.bench._case``).

    Attributes
    ----------
    group, implementation, mode
        Which :class:`Implementation` to run, in which mode.
    shape : tuple of int
        ``(N, C)`` for softmax and probabilities, ``(N, H, V)`` for linear, and for
        bandwidth the shape whose input size the summed buffer matches.
    dtype : str
        The input's dtype (float32 logits, float64 probabilities).
    repeat, warmup : int
        Timed runs (the median is reported) and untimed runs before them.
    threads : int
        Threads for torch, numba and BLAS; the process is pinned to that many CPUs
        when the machine has more.
    seed : int
        Seed of the inputs: every implementation in a group sees the same numbers.
    """

    group: str
    implementation: str
    mode: Mode
    shape: tuple[int, ...]
    dtype: str
    repeat: int = 5
    warmup: int = 1
    threads: int = 2
    seed: int = 0

    @property
    def name(self) -> str:
        """``group/mode/shape/implementation``, unique within a run."""
        return f"{self.group}/{self.mode}/{shape_text(self.shape)}/{self.implementation}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (shape as a list)."""
        out = dataclasses.asdict(self)
        out["shape"] = list(self.shape)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseSpec:
        """The inverse of :meth:`to_dict` (extra keys are ignored)."""
        names = {field.name for field in dataclasses.fields(cls)}
        kwargs = {key: value for key, value in data.items() if key in names}
        kwargs["shape"] = tuple(int(n) for n in kwargs["shape"])
        return cls(**kwargs)


def shape_text(shape: tuple[int, ...]) -> str:
    """``(8192, 32000)`` -> ``"8192x32000"``."""
    return "x".join(str(n) for n in shape)


@dataclass(frozen=True)
class SuiteConfig:
    """What a suite measures and how often.

    Attributes
    ----------
    shapes : tuple of (N, C)
        Softmax cross-entropy shapes (float32 logits).
    modes : tuple of str
        ``"forward"`` and/or ``"forward+backward"`` for the softmax shapes.
    peers : tuple of str
        Peer libraries to compare with (of :data:`PEERS`); those not installed are
        recorded as skipped.
    ours : tuple of str
        Which of our entry points to measure (of :data:`OURS`).
    probabilities : (N, C) or None
        The probability-input case (float64), or None to leave it out.
    linear : (N, H, V) or None
        The linear cross-entropy case, or None to leave it out (it is slow).
    repeat, warmup : int
        Timed and untimed runs per case (the median of the timed runs is reported).
    linear_repeat : int or None
        Timed runs of the linear cases (default ``repeat``): one naive run is ~20 s.
    threads : int
        Threads per case (torch ``set_num_threads``, numba, BLAS, CPU pinning).
    seed : int
        Seed of the inputs.
    bandwidth : bool
        Measure the read bandwidth for each logits size, before and after that shape's
        cases (the forward floor is the faster of the two).
    timeout : float
        Seconds after which one case is abandoned (recorded as an error).
    """

    shapes: tuple[tuple[int, int], ...] = QUICK_SHAPES
    modes: tuple[Mode, ...] = MODES
    peers: tuple[str, ...] = PEERS
    ours: tuple[str, ...] = OURS
    probabilities: tuple[int, int] | None = PROBABILITY_SHAPE
    linear: tuple[int, int, int] | None = None
    repeat: int = 5
    warmup: int = 1
    linear_repeat: int | None = None
    threads: int = 2
    seed: int = 0
    bandwidth: bool = True
    timeout: float = 3600.0

    def __post_init__(self) -> None:
        for name, allowed in (("peers", PEERS), ("ours", OURS), ("modes", MODES)):
            unknown = sorted(set(getattr(self, name)) - set(allowed))
            if unknown:
                msg = f"{name} must be among {', '.join(allowed)}; got {', '.join(unknown)}"
                raise ValueError(msg)
        for name in ("repeat", "threads"):
            if getattr(self, name) < 1:
                msg = f"{name} must be at least 1, got {getattr(self, name)}"
                raise ValueError(msg)
        if self.warmup < 0:
            msg = f"warmup must be non-negative, got {self.warmup}"
            raise ValueError(msg)
        if self.linear_repeat is not None and self.linear_repeat < 1:
            msg = f"linear_repeat must be at least 1, got {self.linear_repeat}"
            raise ValueError(msg)
        shapes = [*self.shapes, *([self.probabilities] if self.probabilities else [])]
        for shape in [*shapes, *([self.linear] if self.linear else [])]:
            if any(n < 1 for n in shape):
                msg = f"every dimension must be positive, got {shape_text(shape)}"
                raise ValueError(msg)

    @classmethod
    def quick(cls, **changes: Any) -> SuiteConfig:
        """The default suite: (8192, 32000) both modes, all installed peers, probabilities."""
        return cls(**changes)

    @classmethod
    def full(cls, **changes: Any) -> SuiteConfig:
        """The whole issue suite: three shapes, probabilities and linear cross-entropy."""
        settings: dict[str, Any] = {"shapes": FULL_SHAPES, "linear": LINEAR_SHAPE}
        settings.update(changes)
        return cls(**settings)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples as lists)."""
        return _listify(dataclasses.asdict(self))  # type: ignore[no-any-return]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuiteConfig:
        """The inverse of :meth:`to_dict`."""
        kwargs = dict(data)
        kwargs["shapes"] = tuple(tuple(s) for s in data["shapes"])
        for name in ("modes", "peers", "ours"):
            kwargs[name] = tuple(data[name])
        for name in ("probabilities", "linear"):
            kwargs[name] = None if data[name] is None else tuple(data[name])
        return cls(**kwargs)


def _listify(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [_listify(item) for item in value]
    if isinstance(value, dict):
        return {key: _listify(item) for key, item in value.items()}
    return value
