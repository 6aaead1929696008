"""Run a suite: plan the cases, launch each in a fresh subprocess, collect the records.

Each case runs as ``sys.executable -m crossentropy.bench._case '<spec JSON>'`` with
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` and
``NUMBA_NUM_THREADS`` set to the suite's thread count, and answers with one JSON line.
A case that crashes, is killed (out of memory) or times out becomes an ``"error"``
record and the suite goes on; a case whose library is not installed is recorded as
``"skipped"`` without starting a process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossentropy._version import __version__
from crossentropy.bench._results import CaseResult, SuiteResult
from crossentropy.bench._spec import IMPLEMENTATIONS, CaseSpec, SuiteConfig, installed, shape_text

if TYPE_CHECKING:
    from collections.abc import Callable

    Progress = Callable[[int, int, CaseSpec, CaseResult | None], None]

__all__ = ["describe", "fit_linear_shape", "plan_cases", "run_case_subprocess", "run_suite"]

_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
_VERSIONED = ("numpy", "torch", "jax", "jaxlib", "optax", "numba", "scipy", "scikit-learn", "rich")
# The naive linear cross-entropy holds about four (N, V) float32 arrays at its peak
# (logits, log-softmax, and their gradients: +8.4 GB measured at 4096 x 128256).
_LINEAR_COPIES = 4.5


def _memory_bytes(key: str) -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith(key + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def fit_linear_shape(
    shape: tuple[int, int, int], available: int | None
) -> tuple[tuple[int, int, int], str | None]:
    """Halve the tokens ``N`` until naive linear cross-entropy fits in 80 % of ``available``.

    Returns the shape to run and a note when it was reduced (None otherwise).
    """
    n, h, v = shape
    if available is None:
        return shape, None

    def need(tokens: int) -> float:
        return _LINEAR_COPIES * tokens * v * 4 + 3 * v * h * 4 + 2 * tokens * h * 4

    fitted = n
    while fitted > 1 and need(fitted) > 0.8 * available:
        fitted //= 2
    if fitted == n:
        return shape, None
    note = (
        f"linear cross-entropy: N reduced from {n} to {fitted} so that naive torch "
        f"(~{_LINEAR_COPIES:g} x N x V x 4 bytes) fits in {available / 1e9:.1f} GB available"
    )
    return (fitted, h, v), note


def plan_cases(config: SuiteConfig) -> tuple[list[CaseSpec | CaseResult], list[str]]:
    """The cases of ``config`` in running order, and notes.

    Cases that cannot run here (a required module is not installed) come back as
    ``"skipped"`` :class:`CaseResult` records instead of specs.
    """
    notes: list[str] = []
    plan: list[CaseSpec | CaseResult] = []
    common = {
        "repeat": config.repeat,
        "warmup": config.warmup,
        "threads": config.threads,
        "seed": config.seed,
    }

    def add(group: str, modes: tuple[Any, ...], shape: tuple[int, ...], dtype: str) -> None:
        bandwidth = config.bandwidth and group == "softmax"
        if bandwidth:
            plan.append(CaseSpec("bandwidth", "sum", "forward", shape, dtype, **common))
        settings = dict(common)
        if group == "linear" and config.linear_repeat is not None:
            settings["repeat"] = config.linear_repeat
        for mode in modes:
            for impl in IMPLEMENTATIONS:
                if impl.group != group or mode not in impl.modes:
                    continue
                if impl.role == "peer" and impl.family not in config.peers:
                    continue
                if impl.role == "ours" and impl.family not in config.ours:
                    continue
                spec = CaseSpec(group, impl.key, mode, shape, dtype, **settings)
                missing = [module for module in impl.requires if not installed(module)]
                if missing:
                    reason = f"{', '.join(missing)} not installed"
                    plan.append(CaseResult(spec, "skipped", reason=reason))
                else:
                    plan.append(spec)
        if bandwidth:
            plan.append(CaseSpec("bandwidth", "sum-after", "forward", shape, dtype, **common))

    for shape in config.shapes:
        add("softmax", config.modes, shape, "float32")
    if config.probabilities is not None:
        add("probabilities", ("forward",), config.probabilities, "float64")
    if config.linear is not None:
        linear, note = fit_linear_shape(config.linear, _memory_bytes("MemAvailable"))
        if note:
            notes.append(note)
        add("linear", ("forward+backward",), linear, "float32")
    return plan, notes


def _environment(threads: int) -> dict[str, str]:
    env = dict(os.environ)
    for variable in _THREAD_VARIABLES:
        env[variable] = str(threads)
    env["NUMBA_NUM_THREADS"] = str(threads)
    env.setdefault("JAX_PLATFORMS", "cpu")
    # The case must import this very crossentropy, installed or not.
    source = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (source, env.get("PYTHONPATH")) if p)
    return env


def _tail(text: str, limit: int = 600) -> str:
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]


def run_case_subprocess(
    spec: CaseSpec, *, timeout: float = 3600.0, executable: str | None = None
) -> CaseResult:
    """Run one case in a fresh Python process and return what it measured."""
    command = [
        executable or sys.executable,
        "-m",
        "crossentropy.bench._case",
        json.dumps(spec.to_dict()),
    ]
    try:
        done = subprocess.run(  # our own interpreter and module
            command,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=_environment(spec.threads),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return CaseResult(spec, "error", reason=f"timed out after {timeout:g} s")
    record: dict[str, Any] | None = None
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("{"):
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            break
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return CaseResult(spec, "error", reason=f"killed by {name}{hint}")
    if record is None:
        reason = f"exit status {done.returncode}, no result: {_tail(done.stderr)}"
        return CaseResult(spec, "error", reason=reason)
    if record.get("status") == "error":
        record["reason"] = f"{record.get('reason')}; stderr: {_tail(done.stderr)}"
    return CaseResult.from_record(spec, record)


def _machine(threads: int) -> dict[str, Any]:
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "cpu_count": os.cpu_count(),
        "cpus_available": len(affinity(0)) if affinity else None,
        "threads": threads,
        "memory_total_bytes": _memory_bytes("MemTotal"),
        "memory_available_bytes": _memory_bytes("MemAvailable"),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "python": platform.python_version(),
    }


def _versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"crossentropy": __version__}
    versions.update((name, _version(name)) for name in _VERSIONED)
    return versions


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def run_suite(
    config: SuiteConfig,
    *,
    progress: Progress | None = None,
    executable: str | None = None,
    jobs: int = 1,
) -> SuiteResult:
    """Run every case of ``config``, each in its own process.

    Parameters
    ----------
    config : SuiteConfig
    progress : callable, optional
        Called as ``progress(index, total, spec, None)`` before a case starts and
        ``progress(index, total, spec, result)`` when it ends (index from 1).
    executable : str, optional
        The Python that runs the cases (default: this one).
    jobs : int, default 1
        Cases run at the same time. Anything above 1 is for smoke tests only:
        concurrent cases share the cores and the memory bandwidth, so their times are
        not comparable (the result records ``jobs`` in ``machine``).

    Returns
    -------
    SuiteResult
    """
    if jobs < 1:
        msg = f"jobs must be at least 1, got {jobs}"
        raise ValueError(msg)
    created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    busy = _busy_fraction()
    start = time.perf_counter()
    plan, notes = plan_cases(config)
    if busy is not None and busy > 0.25:
        notes.append(
            f"the machine was busy when the run started ({100 * busy:.0f} % of its CPU time "
            "used by other processes): they share the cores and memory, times are noisy"
        )

    def one(index: int, item: CaseSpec | CaseResult) -> CaseResult:
        spec = item if isinstance(item, CaseSpec) else item.spec
        if progress is not None:
            progress(index, len(plan), spec, None)
        result = (
            run_case_subprocess(item, timeout=config.timeout, executable=executable)
            if isinstance(item, CaseSpec)
            else item
        )
        if progress is not None:
            progress(index, len(plan), spec, result)
        return result

    if jobs == 1:
        results = [one(index, item) for index, item in enumerate(plan, start=1)]
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(one, range(1, len(plan) + 1), plan))
    machine = _machine(config.threads)
    machine["jobs"] = jobs
    machine["cpu_busy_at_start"] = busy
    return SuiteResult(
        config=config,
        cases=tuple(results),
        machine=machine,
        versions=_versions(),
        created=created,
        elapsed_s=time.perf_counter() - start,
        notes=tuple(notes),
    )


def _cpu_times() -> tuple[int, int] | None:
    """(idle, total) jiffies of all CPUs from ``/proc/stat`` (Linux), or None."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    if len(fields) < 5:
        return None
    return fields[3] + fields[4], sum(fields[:8])  # idle + iowait; user..steal


def _busy_fraction(seconds: float = 0.25) -> float | None:
    """Fraction of all CPUs' time spent busy over ``seconds``, now: others' load."""
    before = _cpu_times()
    if before is None:
        return None
    time.sleep(seconds)
    after = _cpu_times()
    if after is None or after[1] <= before[1]:
        return None
    return 1.0 - (after[0] - before[0]) / (after[1] - before[1])


def describe(spec: CaseSpec) -> str:
    """One line naming a case for progress output."""
    label = CaseResult(spec, "ok").label
    return f"{spec.group} {spec.mode} {shape_text(spec.shape)} {spec.dtype}: {label}"
