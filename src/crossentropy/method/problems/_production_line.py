"""Buffer allocation in a serial production line: a noisy simulation with a known optimum."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Literal

import numpy as np

from crossentropy.method._checks import as_generator
from crossentropy.method._families import Categorical
from crossentropy.method.problems._base import as_candidates, frozen_array

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

__all__ = ["BufferAllocation", "line_throughput"]

_EMPTY, _WORKING, _BLOCKED = 0, 1, 2
#: The exact throughput solves a dense linear system over the line's states.
MAX_STATES = 4000


def _allocations(candidates: ArrayLike, n_buffers: int, total: int) -> NDArray[np.intp]:
    """``candidates`` checked to be non-negative integer allocations summing to ``total``."""
    x = as_candidates(candidates, n_buffers, "allocations")
    if not np.issubdtype(x.dtype, np.integer) and np.any(x != np.round(x)):
        msg = f"allocations must be integers, got dtype {x.dtype} with fractions"
        raise ValueError(msg)
    b = x.astype(np.intp)
    bad = np.any(b < 0, axis=-1) | (b.sum(axis=-1) != total)
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0]) if bad.ndim else ()
        msg = (
            f"each allocation must be {n_buffers} non-negative integers summing to {total}; "
            f"row {list(index)} is {b[index].tolist()}"
        )
        raise ValueError(msg)
    return b


def line_throughput(rates: ArrayLike, buffers: ArrayLike) -> float:
    r"""Exact long-run throughput of a serial line with exponential machines.

    Parameters
    ----------
    rates : array_like, shape (m,)
        Processing rates :math:`\mu_1, \dots, \mu_m > 0` of the machines
        (:math:`m \ge 2`).
    buffers : array_like of int, shape (m - 1,)
        Buffer sizes :math:`b_1, \dots, b_{m-1} \ge 0` between consecutive machines.

    Returns
    -------
    float
        Jobs per unit time leaving the last machine in steady state.

    Raises
    ------
    ValueError
        If the line has more than 4000 states (the solve is dense).

    Notes
    -----
    The first machine never starves (unlimited raw material) and the last never
    blocks. A machine that finishes a job while the next buffer is full holds it and
    stops (*blocking after service*). With exponential processing times the line is a
    continuous-time Markov chain on (status of each machine: starved / working /
    blocked, content of each buffer); its stationary law :math:`\pi Q = 0` gives the
    throughput :math:`\mu_m P(\text{machine } m \text{ working})`. For two machines it
    reduces to the birth-death chain with :math:`K = b_1 + 2` places,
    :math:`\mu_2 (1 - \pi_0)`, :math:`\pi_n \propto (\mu_1/\mu_2)^n`.

    References
    ----------
    .. [1] H. G. Perros, *Queueing Networks with Blocking*, Oxford University Press
       (1994), chapter 2.
    .. [2] Y. Dallery and S. B. Gershwin, "Manufacturing flow line systems: a review of
       models and analytical results", Queueing Systems 12 (1992), 3-94.

    Examples
    --------
    Two identical machines with one buffer slot: :math:`K = 3` places, throughput
    :math:`\mu K / (K + 1) = 3/4`.

    >>> from crossentropy.method.problems import line_throughput
    >>> round(line_throughput([1.0, 1.0], [1]), 12)
    0.75
    """
    mu = np.asarray(rates, dtype=np.float64)
    b = [int(v) for v in np.asarray(buffers).ravel()]
    m = mu.size
    if m < 2 or len(b) != m - 1 or min(b) < 0 or not np.all((mu > 0) & np.isfinite(mu)):
        msg = (
            f"need m >= 2 positive finite rates and m - 1 non-negative buffers, got "
            f"rates {mu.tolist()} and buffers {b}"
        )
        raise ValueError(msg)
    State = tuple[tuple[int, ...], tuple[int, ...]]

    def release(status: list[int], level: list[int], i: int) -> None:
        """Machine ``i`` has just been freed: it takes the next job, if there is one."""
        while True:
            if i == 0:
                status[0] = _WORKING
                return
            if level[i - 1] > 0:
                level[i - 1] -= 1
                status[i] = _WORKING
                if status[i - 1] != _BLOCKED:
                    return
                level[i - 1] += 1  # the blocked upstream machine pushes its job in
            elif status[i - 1] == _BLOCKED:  # no buffer between: the job passes directly
                status[i] = _WORKING
            else:
                status[i] = _EMPTY
                return
            status[i - 1] = _EMPTY
            i -= 1  # and the upstream machine, now free, looks for a job in turn

    def complete(state: State, i: int) -> State:
        status, level = list(state[0]), list(state[1])
        if i < m - 1 and status[i + 1] != _EMPTY and level[i] >= b[i]:
            status[i] = _BLOCKED
        else:
            if i < m - 1:
                if status[i + 1] == _EMPTY:
                    status[i + 1] = _WORKING
                else:
                    level[i] += 1
            status[i] = _EMPTY
            release(status, level, i)
        return tuple(status), tuple(level)

    start: State = ((_WORKING,) + (_EMPTY,) * (m - 1), (0,) * (m - 1))
    index = {start: 0}
    order = [start]
    moves: list[tuple[int, int, float]] = []
    for number, state in enumerate(order):
        for i in range(m):
            if state[0][i] == _WORKING:
                following = complete(state, i)
                if following not in index:
                    if len(order) >= MAX_STATES:
                        msg = f"the line has more than {MAX_STATES} states; shorten the buffers"
                        raise ValueError(msg)
                    index[following] = len(order)
                    order.append(following)
                moves.append((number, index[following], float(mu[i])))
    n = len(order)
    generator = np.zeros((n, n))
    for source, target, rate in moves:
        generator[source, target] += rate
        generator[source, source] -= rate
    # pi Q = 0 with sum(pi) = 1: replace one balance equation by the normalisation
    system = generator.T.copy()
    system[-1, :] = 1.0
    rhs = np.zeros(n)
    rhs[-1] = 1.0
    pi = np.linalg.solve(system, rhs)
    last_working = np.array([state[0][m - 1] == _WORKING for state in order])
    return float(mu[m - 1] * pi[last_working].sum())


@dataclass(frozen=True)
class BufferAllocation:
    r"""Share :math:`B` buffer slots among the buffers of a serial line to maximise throughput.

    A line of :math:`m` machines with exponential processing times (rates
    :math:`\mu_i`) and :math:`m - 1` finite buffers between them; a candidate is an
    allocation :math:`b \in \mathbb{Z}_{\ge 0}^{m-1}` with :math:`\sum_i b_i = B`. The
    objective is the line's throughput, estimated by simulation (noisy); the exact
    throughput of every allocation (:func:`line_throughput`) gives the known optimum.

    Parameters
    ----------
    rates : tuple of float, default (1, 1, 1, 1)
        Processing rates of the :math:`m \ge 2` machines.
    total_buffer : int, default 6
        :math:`B`, the slots to share.
    jobs : int, default 2000
        Jobs counted in each simulated replication (after the warm-up).
    warmup : int, default 200
        Jobs simulated first and not counted (the line starts empty).
    replications : int, default 1
        Independent replications averaged per evaluation.
    name : str, default "buffer-allocation"

    Attributes
    ----------
    sense : {"maximize"}
    optimum : float
        The largest exact throughput over all allocations.
    optimal_allocation : ndarray of int
        An allocation attaining it.

    Notes
    -----
    The simulation uses the departure-time recursion of a line with blocking after
    service: with :math:`D_i(k)` the time job :math:`k` leaves machine :math:`i` and
    :math:`T_i(k)` its processing time,

    .. math::

        D_i(k) = \max\bigl(\max(D_{i-1}(k), D_i(k-1)) + T_i(k),\;
                           D_{i+1}(k - b_i - 1)\bigr),

    (:math:`D_0 \equiv 0`: unlimited raw material; no blocking term for the last
    machine) and estimates the throughput as ``jobs`` over the time the last machine
    took for them. One call draws one set of processing times and uses it for every
    allocation in the batch (common random numbers): a batch evaluates exactly as each
    row evaluated alone with the same seed, and differences between allocations are
    much less noisy than the throughputs themselves.

    Candidates for a categorical sampling family are "which buffer gets slot
    :math:`j`" vectors of length :math:`B`; :meth:`allocations_from_slots` counts them.

    References
    ----------
    .. [1] G. Alon, D. P. Kroese, T. Raviv and R. Y. Rubinstein, "Application of the
       Cross-Entropy Method to the Buffer Allocation Problem in a Simulation-Based
       Environment", Annals of Operations Research 134 (2005), 137-151.
    .. [2] Y. Dallery and S. B. Gershwin, "Manufacturing flow line systems: a review of
       models and analytical results", Queueing Systems 12 (1992), 3-94.

    Examples
    --------
    >>> from crossentropy.method.problems import BufferAllocation
    >>> problem = BufferAllocation()
    >>> problem.optimal_allocation.tolist(), round(problem.optimum, 4)
    ([2, 2, 2], 0.7007)
    >>> problem.evaluate([[2, 2, 2], [6, 0, 0]], rng=0).round(2)
    array([0.71, 0.58])
    """

    rates: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)
    total_buffer: int = 6
    jobs: int = 2000
    warmup: int = 200
    replications: int = 1
    name: str = "buffer-allocation"

    def __post_init__(self) -> None:
        rates = tuple(float(r) for r in self.rates)
        if len(rates) < 2 or not all(math.isfinite(r) and r > 0 for r in rates):
            msg = f"rates must be at least 2 positive finite numbers, got {self.rates!r}"
            raise ValueError(msg)
        object.__setattr__(self, "rates", rates)
        for label, value, low in (
            ("total_buffer", self.total_buffer, 0),
            ("jobs", self.jobs, 1),
            ("warmup", self.warmup, 0),
            ("replications", self.replications, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                msg = f"{label} must be an int >= {low}, got {value!r}"
                raise ValueError(msg)

    @property
    def sense(self) -> Literal["maximize"]:
        """``"maximize"``: higher throughput is better."""
        return "maximize"

    @property
    def n_buffers(self) -> int:
        """The number of buffers, ``m - 1`` (the length of an allocation)."""
        return len(self.rates) - 1

    def all_allocations(self) -> NDArray[np.intp]:
        """Every allocation of ``total_buffer`` slots, shape ``(C(B + m - 2, m - 2), m - 1)``."""
        k, total = self.n_buffers, self.total_buffer
        # stars and bars: the positions of k - 1 bars among total + k - 1 places
        rows = []
        for bars in itertools.combinations(range(total + k - 1), k - 1):
            edges = (-1, *bars, total + k - 1)
            rows.append([edges[j + 1] - edges[j] - 1 for j in range(k)])
        return np.array(rows, dtype=np.intp).reshape(-1, k)

    def allocations_from_slots(self, slots: ArrayLike) -> NDArray[np.intp]:
        """Allocations from slot-to-buffer vectors: ``(..., B)`` in ``0..m-2`` to ``(..., m-1)``."""
        s = as_candidates(slots, self.total_buffer, "slots")
        if np.any((s < 0) | (s >= self.n_buffers) | (s != np.round(s))):
            msg = f"slots must hold buffer indices 0..{self.n_buffers - 1}"
            raise ValueError(msg)
        counts = (s.astype(np.intp)[..., None] == np.arange(self.n_buffers)).sum(axis=-2)
        return np.asarray(counts, dtype=np.intp)

    def exact_throughput(self, allocations: ArrayLike) -> NDArray[np.float64]:
        """The exact throughput of each allocation (shape ``(..., m - 1)``)."""
        b = _allocations(allocations, self.n_buffers, self.total_buffer)
        flat = b.reshape(-1, self.n_buffers)
        table = self._exact_table
        out = np.array([table[tuple(int(v) for v in row)] for row in flat])
        return out.reshape(b.shape[:-1])

    @cached_property
    def _exact_table(self) -> dict[tuple[int, ...], float]:
        return {
            tuple(int(v) for v in row): line_throughput(self.rates, row)
            for row in self.all_allocations()
        }

    @cached_property
    def optimum(self) -> float:
        """The largest exact throughput over all allocations."""
        return max(self._exact_table.values())

    @cached_property
    def optimal_allocation(self) -> NDArray[np.intp]:
        """An allocation with the largest exact throughput (the first in stars-and-bars order)."""
        best = max(self._exact_table, key=lambda key: self._exact_table[key])
        return frozen_array(best, np.intp)

    def evaluate(
        self, candidates: ArrayLike, *, rng: np.random.Generator | int | None = None
    ) -> NDArray[np.float64]:
        """Simulated throughput of each allocation (shape ``(..., m - 1)``); see Notes."""
        b = _allocations(candidates, self.n_buffers, self.total_buffer)
        batch = b.shape[:-1]
        flat = b.reshape(-1, self.n_buffers)
        m, total = len(self.rates), self.warmup + self.jobs
        # common random numbers: one draw per call, shared by every allocation
        times = as_generator(rng).exponential(
            1.0 / np.array(self.rates), size=(self.replications, total, m)
        )
        n = flat.shape[0]
        # D_i(k) is needed back to job k - B - 1 only: a ring of B + 2 jobs per machine
        depth = self.total_buffer + 2
        ring = np.zeros((m, depth, n, self.replications))
        columns = np.arange(n)
        start = np.zeros((n, self.replications))
        for k in range(total):
            slot, before = k % depth, (k - 1) % depth
            for i in range(m):
                arrival = ring[i - 1, slot] if i > 0 else 0.0
                free = ring[i, before] if k > 0 else 0.0
                done = np.maximum(arrival, free) + times[:, k, i]
                if i < m - 1:
                    ahead = k - flat[:, i] - 1  # job k waits for job `ahead` to leave i + 1
                    blocked = ring[i + 1, ahead % depth, columns]
                    done = np.where((ahead >= 0)[:, None], np.maximum(done, blocked), done)
                ring[i, slot] = done
            if k == self.warmup - 1:
                start = ring[m - 1, slot].copy()
        elapsed = ring[m - 1, (total - 1) % depth] - start
        return np.asarray((self.jobs / elapsed).mean(axis=-1).reshape(batch), dtype=np.float64)

    # The cross-entropy method's starting point for this problem (used by `crossentropy cem`).

    def initial_family(self) -> Categorical:
        """The sampling family the cross-entropy method starts from.

        Each of the B buffer slots to any buffer with equal probability.
        """
        return Categorical.uniform(self.total_buffer, self.n_buffers)

    @property
    def default_sample_size(self) -> int:
        """Candidates per iteration that suit this problem: ``max(50, 10 B)`` for B buffer slots."""
        return max(50, 10 * self.total_buffer)

    @property
    def default_rho(self) -> float:
        """The elite fraction that suits this problem (the usual 0.1)."""
        return 0.1

    def describe(self) -> str:
        """What the line is and its known optimum."""
        rates = ", ".join(f"{r:g}" for r in self.rates)
        best = ", ".join(str(int(v)) for v in self.optimal_allocation)
        return (
            f"{self.name}: {len(self.rates)} exponential machines (rates {rates}), "
            f"{self.total_buffer} buffer slots over {self.n_buffers} buffers; maximise the "
            f"simulated throughput ({self.jobs} jobs x {self.replications} replications, "
            f"noisy); optimum {self.optimum:.6f} at ({best}) (exact, Markov chain)"
        )
