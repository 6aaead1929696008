"""Benchmarks of the fused cross-entropy kernels against their peers, in fresh processes.

Every case (one implementation on one input) runs in its own subprocess: inputs from a
fixed seed, warm-up runs, then the median of ``repeat`` timed runs and the extra peak
resident memory of those runs (Linux ``VmHWM`` after a ``clear_refs`` reset). The
results hold every run's time, each loss value (to check that all implementations
agree), the machine's read bandwidth measured in the same run (the forward floor), and
the ratio ``peer median / ours median`` for each pair of ours and a peer.

Peers: PyTorch ``F.cross_entropy`` (2 threads), optax under ``jax.jit``, naive NumPy,
SciPy ``log_softmax``, scikit-learn ``log_loss``; each is skipped when not installed.
The command ``crossentropy bench`` runs a suite and prints tables and JSON;
``benchmarks/kernels_benchmark.py`` runs the full one.

Examples
--------
>>> from crossentropy.bench import SuiteConfig
>>> config = SuiteConfig.quick(shapes=((64, 10),), peers=("numpy",), repeat=5)
>>> config.modes
('forward', 'forward+backward')
"""

from crossentropy.bench._render import print_tables, render_text
from crossentropy.bench._results import SCHEMA, CaseResult, Comparison, SuiteResult
from crossentropy.bench._runner import plan_cases, run_case_subprocess, run_suite
from crossentropy.bench._spec import (
    IMPLEMENTATIONS,
    OURS,
    PEERS,
    CaseSpec,
    Implementation,
    SuiteConfig,
)

__all__ = [
    "IMPLEMENTATIONS",
    "OURS",
    "PEERS",
    "SCHEMA",
    "CaseResult",
    "CaseSpec",
    "Comparison",
    "Implementation",
    "SuiteConfig",
    "SuiteResult",
    "plan_cases",
    "print_tables",
    "render_text",
    "run_case_subprocess",
    "run_suite",
]
