r"""The additive sufficient statistics of scoring, and the fixed grids they are binned on.

Everything :class:`~crossentropy.scoring.ScoreAccumulator` keeps about the scored rows is
a sum over rows (float64; counts are sums of ones, exact below :math:`2^{53}`), so two
accumulators merge by adding their :class:`Tallies`, in any order and for any split of
the rows. The only non-additive parts,
the worst rows and the invalid-row examples, are bounded lists merged by a total order
(see :mod:`crossentropy.scoring._stats._accumulator`).

The grids are fixed, so that tallies from different batches and processes line up:

* **calibration, fine** (:data:`FINE_BINS` bins, for the equal-mass bins built at
  ``result()`` time): confidence :math:`c < 0.875` in bins 0.001 wide; above, the
  distance :math:`d = 1 - c` (exact in float64 for :math:`c \ge 0.5`) binned by its
  float64 exponent and top 4 mantissa bits, i.e. 16 bins per octave of :math:`d` (each
  at most 6.25 % of :math:`d` wide) from :math:`d = 2^{-3}` down to :math:`2^{-40}
  \approx 9.1 \times 10^{-13}`; then one bin for :math:`0 < d < 2^{-40}` and one for
  :math:`c = 1` exactly. Reading the bits needs no logarithm, so the bin of a row is the
  same on every backend.
* **cross-entropy histogram** (:data:`HIST_BINS` bins): 0.01 nats wide from 0 to 16, then
  one overflow bin :math:`[16, \infty]` that also holds :math:`+\infty`.
* **bootstrap**: row :math:`r` of source :math:`s` gets, in replicate :math:`b`, the
  weight :math:`\mathrm{Poisson}(1)` drawn by inverting its CDF at a 64-bit hash
  :math:`h = \mathrm{mix}(k_{r} + (b + 1)\,\gamma)` (SplitMix64:
  :math:`k_r = \mathrm{mix}(k_s \oplus r)`, :math:`k_s` from the seed and a BLAKE2b digest
  of the source name), so a row's weights depend only on (seed, source, row, b).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal, localcontext

import numpy as np

__all__ = [
    "CONFUSION_MAX_CLASSES",
    "FINE_BINS",
    "HIST_BINS",
    "KIND_CODES",
    "POISSON_THRESHOLDS",
    "REASONS",
    "STATUS_INFINITE",
    "STATUS_NAN",
    "STATUS_NEGATIVE",
    "STATUS_OVER_ONE",
    "STATUS_SUM",
    "STATUS_UNKNOWN_LABEL",
    "Tallies",
    "bootstrap_key",
    "fine_edges",
    "fine_index",
    "hist_edges",
    "hist_index",
    "mix64",
]

#: Score kinds as the kernels see them.
KIND_CODES = {"probabilities": 0, "logits": 1, "probability": 2, "logit": 3}

# Row status codes, in order of priority (a row gets the first that applies).
STATUS_UNKNOWN_LABEL = 1
STATUS_NAN = 2
STATUS_INFINITE = 3
STATUS_NEGATIVE = 4
STATUS_OVER_ONE = 5
STATUS_SUM = 6
#: The reason keys of the status codes (index 0: a valid row).
REASONS = (
    "",
    "unknown label",
    "nan",
    "infinite",
    "negative probability",
    "probability > 1",
    "sum != 1",
)

#: The confusion matrix is kept up to this many classes (K x K floats).
CONFUSION_MAX_CLASSES = 1000

# -- the fine calibration grid ------------------------------------------------------------
FINE_LINEAR = 875  # bins 0.001 wide on [0, 0.875)
FINE_OCTAVES = 37  # octaves of d = 1 - c: [2^-4, 2^-3) down to [2^-40, 2^-39)
FINE_LOG = 16 * FINE_OCTAVES
FINE_BINS = FINE_LINEAR + FINE_LOG + 2  # + (0 < d < 2^-40) + (c == 1)
# (biased exponent << 4 | top 4 mantissa bits) of the largest d of the first log bin
FINE_TOP0 = (1023 - 4) * 16 + 15


def fine_index(confidence: np.ndarray) -> np.ndarray:
    """The fine calibration bin (int64) of each confidence in ``[0, 1]``."""
    c = np.asarray(confidence, dtype=np.float64)
    linear = np.minimum((c * 1000.0).astype(np.int64), FINE_LINEAR - 1)
    d = 1.0 - c
    top = d.view(np.int64) >> 48  # sign 0, exponent (11 bits), top 4 mantissa bits
    log = FINE_LINEAR + np.clip(FINE_TOP0 - top, 0, FINE_LOG)
    out = np.where(c < 0.875, linear, log)
    out[d == 0.0] = FINE_BINS - 1
    return out


def fine_edges() -> np.ndarray:
    """The ``FINE_BINS + 1`` edges of the fine grid (the last bin is ``[1, 1]``)."""
    linear = np.arange(FINE_LINEAR + 1) / 1000.0
    j = np.arange(FINE_LOG)
    exponent = -4.0 - j // 16
    mantissa = 15 - j % 16
    d_low = np.ldexp(1.0 + mantissa / 16.0, exponent.astype(np.int64))
    return np.concatenate([linear, 1.0 - d_low, [1.0, 1.0]])


# -- the cross-entropy histogram -----------------------------------------------------------
HIST_WIDTH_INVERSE = 100.0  # bins 0.01 nats wide
HIST_LIMIT = 16.0
HIST_BINS = 1601  # 1600 bins on [0, 16), then [16, inf]


def hist_index(ce: np.ndarray) -> np.ndarray:
    """The histogram bin (int64) of each cross-entropy in ``[0, inf]``."""
    out: np.ndarray = (np.minimum(ce, HIST_LIMIT) * HIST_WIDTH_INVERSE).astype(np.int64)
    return out


def hist_edges() -> np.ndarray:
    """The ``HIST_BINS + 1`` edges in nats: ``0, 0.01, ..., 16, inf``."""
    return np.append(np.arange(HIST_BINS) / HIST_WIDTH_INVERSE, np.inf)


# -- the counter-based bootstrap weights --------------------------------------------------
MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB


def mix64(z: int) -> int:
    """The SplitMix64 finaliser on a Python int (mod 2**64)."""
    z &= MASK64
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    return z ^ (z >> 31)


def mix64_array(z: np.ndarray) -> np.ndarray:
    """The SplitMix64 finaliser on a uint64 array (wrapping arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    out: np.ndarray = z ^ (z >> np.uint64(31))
    return out


def bootstrap_key(seed: int, source: str) -> int:
    """The 64-bit key of (seed, source): BLAKE2b of the name, never Python's salted hash."""
    digest = hashlib.blake2b(source.encode("utf-8"), digest_size=8).digest()
    return mix64(mix64(seed + GOLDEN) ^ int.from_bytes(digest, "little"))


def _poisson_thresholds(count: int = 20) -> np.ndarray:
    # T_k = floor(2^64 P(X <= k)) for X ~ Poisson(1); X = #{k : h >= T_k} for a uniform
    # 64-bit h. Beyond k = 19 the tail is below 2^-64 (draws are capped at 20).
    with localcontext() as ctx:
        ctx.prec = 60
        term = Decimal(-1).exp()
        cdf = Decimal(0)
        out = []
        for k in range(count):
            cdf += term
            term /= k + 1
            out.append(min(int(cdf * (1 << 64)), MASK64))
    return np.array(out, dtype=np.uint64)


#: ``T_k = floor(2**64 P(Poisson(1) <= k))``, k = 0..19.
POISSON_THRESHOLDS = _poisson_thresholds()


# Columns of the tallies (all float64; counts are whole numbers, exact below 2**53).
T_ROWS, T_INFINITE_ROWS, T_WEIGHT, T_CE, T_INFINITE_WEIGHT, T_BRIER, T_CORRECT = range(7)
N_TOTALS = 7  # then one column per top-k
C_WEIGHT, C_CE, C_INFINITE_WEIGHT, C_CORRECT, C_ROWS = range(5)
N_CLASS_COLUMNS = 5
B_WEIGHT, B_CONFIDENCE, B_CORRECT, B_ROWS = range(4)
N_BIN_COLUMNS = 4
R_CE, R_WEIGHT, R_INFINITE_WEIGHT = range(3)
N_REPLICATE_COLUMNS = 3


@dataclass(frozen=True)
class Tallies:
    """Sums and counts over scored rows; ``a.add(b)`` is the tallies of both.

    All float64, laid out so that what one row updates sits together in memory:

    * ``totals`` ``(7 + T,)``: rows, rows with infinite CE, weight, weighted CE of the
      finite rows, weight of the infinite rows, weighted Brier, weight of the correct
      rows, then the correct weight for each counted top-k (``T_*`` columns);
    * ``per_class`` ``(K, 5)``, by true class: weight, CE (finite rows), infinite
      weight, correct weight, rows (``C_*``);
    * ``confusion`` ``(K, K)`` weight by [true, predicted], None above
      :data:`CONFUSION_MAX_CLASSES`;
    * ``calibration`` ``(n_bins, 4)`` and ``fine`` ``(FINE_BINS, 4)``: weight, weighted
      confidence, correct weight, rows (``B_*``);
    * ``hist`` ``(HIST_BINS,)``: weight per cross-entropy bin;
    * ``bootstrap`` ``(B, 3)``: per replicate, the resampled CE (finite rows), weight,
      infinite weight (``R_*``).
    """

    totals: np.ndarray
    per_class: np.ndarray
    confusion: np.ndarray | None
    calibration: np.ndarray
    fine: np.ndarray
    hist: np.ndarray
    bootstrap: np.ndarray

    @classmethod
    def zeros(
        cls, n_classes: int, n_topk: int, n_bins: int, n_boot: int, *, confusion: bool
    ) -> Tallies:
        """Empty tallies."""
        parts = chunked_zeros(1, n_classes, n_topk, n_bins, n_boot, confusion=confusion)
        return cls.from_chunks(parts)

    @classmethod
    def from_chunks(cls, parts: dict[str, np.ndarray]) -> Tallies:
        """Sum per-chunk arrays (leading axis) into tallies."""
        confusion = parts["confusion"]
        with np.errstate(over="ignore"):  # sums of huge finite CEs may overflow to inf
            return cls(
                totals=parts["totals"].sum(axis=0),
                per_class=parts["per_class"].sum(axis=0),
                confusion=confusion.sum(axis=0) if confusion.shape[1] else None,
                calibration=parts["calibration"].sum(axis=0),
                fine=parts["fine"].sum(axis=0),
                hist=parts["hist"].sum(axis=0),
                bootstrap=parts["bootstrap"].sum(axis=0),
            )

    def add(self, other: Tallies) -> Tallies:
        """The tallies of both sets of rows."""
        confusion = None
        with np.errstate(over="ignore"):  # sums of huge finite CEs may overflow to inf
            if self.confusion is not None and other.confusion is not None:
                confusion = self.confusion + other.confusion
            return Tallies(
                totals=self.totals + other.totals,
                per_class=self.per_class + other.per_class,
                confusion=confusion,
                calibration=self.calibration + other.calibration,
                fine=self.fine + other.fine,
                hist=self.hist + other.hist,
                bootstrap=self.bootstrap + other.bootstrap,
            )


def chunked_zeros(
    chunks: int, n_classes: int, n_topk: int, n_bins: int, n_boot: int, *, confusion: bool
) -> dict[str, np.ndarray]:
    """Zeroed per-chunk arrays for :meth:`Tallies.from_chunks` (what the kernels fill)."""
    k = n_classes
    return {
        "totals": np.zeros((chunks, N_TOTALS + n_topk)),
        "per_class": np.zeros((chunks, k, N_CLASS_COLUMNS)),
        "confusion": np.zeros((chunks, k, k) if confusion else (chunks, 0, 0)),
        "calibration": np.zeros((chunks, n_bins, N_BIN_COLUMNS)),
        "fine": np.zeros((chunks, FINE_BINS, N_BIN_COLUMNS)),
        "hist": np.zeros((chunks, HIST_BINS)),
        "bootstrap": np.zeros((chunks, n_boot, N_REPLICATE_COLUMNS)),
    }
