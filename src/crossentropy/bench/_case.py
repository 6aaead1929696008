"""One benchmark case in a fresh process: ``python -m crossentropy.bench._case '<spec JSON>'``.

The parent (:mod:`crossentropy.bench._runner`) starts one of these per case, so that no
case inherits another's allocations, compiled code, thread pools or page cache state.
The process pins itself to ``threads`` CPUs when the machine has more, builds the case's
inputs, measures it (:func:`crossentropy.bench._measure.measure`) and prints exactly one
JSON line on its standard output: ``{"status": "ok", "times": [...], ...}``,
``{"status": "skipped", "reason": ...}`` or ``{"status": "error", "reason": ...}``.
Anything the libraries print goes to standard error: file descriptor 1 is pointed at
2 before any of them is imported.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import traceback
from typing import TYPE_CHECKING, Any

from crossentropy.bench._spec import CaseSpec

if TYPE_CHECKING:
    from collections.abc import Callable

    from crossentropy.bench._measure import Prepared

__all__ = ["main", "run_case"]


def _pin(threads: int) -> list[int] | None:
    """Restrict this process to ``threads`` CPUs (Linux), so every library sees that many."""
    getaffinity = getattr(os, "sched_getaffinity", None)
    setaffinity = getattr(os, "sched_setaffinity", None)
    if getaffinity is None or setaffinity is None:
        return None
    cpus = sorted(getaffinity(0))
    if len(cpus) > threads:
        cpus = cpus[:threads]
        setaffinity(0, cpus)
    return cpus


_MODULES = {
    "bandwidth": "crossentropy.bench._bandwidth_case",
    "softmax": "crossentropy.bench._softmax_cases",
    "probabilities": "crossentropy.bench._probability_cases",
    "linear": "crossentropy.bench._linear_cases",
}


def _setup(spec: CaseSpec) -> Callable[[CaseSpec], Prepared]:
    if spec.group not in _MODULES:
        msg = f"unknown group {spec.group!r}"
        raise ValueError(msg)
    setups: dict[str, Callable[[CaseSpec], Prepared]]
    setups = importlib.import_module(_MODULES[spec.group]).SETUPS
    if spec.implementation not in setups:
        msg = f"group {spec.group!r} has no implementation {spec.implementation!r}"
        raise ValueError(msg)
    return setups[spec.implementation]


def run_case(spec: CaseSpec) -> dict[str, Any]:
    """Measure ``spec`` in this process and return its record (skips become records)."""
    from crossentropy.bench._measure import Skip, measure

    cpus = _pin(spec.threads)
    try:
        prepared = _setup(spec)(spec)
    except Skip as exc:
        return {"status": "skipped", "reason": str(exc)}
    record = measure(prepared, repeat=spec.repeat, warmup=spec.warmup)
    record["details"] = {**record["details"], "cpus": cpus}
    return record


def main(argv: list[str] | None = None) -> int:
    """Entry point of the case subprocess; the exit status is 0 unless the case failed."""
    args = sys.argv[1:] if argv is None else argv
    sys.stdout.flush()
    answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever the libraries print lands on stderr, not in the answer
    status = 0
    try:
        record = run_case(CaseSpec.from_dict(json.loads(args[0])))
    except Exception as exc:  # reported to the parent, which carries on
        traceback.print_exc()
        record = {"status": "error", "reason": f"{type(exc).__name__}: {exc}"}
        status = 1
    answer.write(json.dumps(record) + "\n")
    answer.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
