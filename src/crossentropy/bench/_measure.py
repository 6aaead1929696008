"""Timing and peak memory of one prepared case, inside the case subprocess.

Protocol: ``warmup`` untimed runs; then, with the inputs allocated and everything
compiled, the process's peak resident set size is reset (Linux: ``5`` written to
``/proc/self/clear_refs`` sets ``VmHWM`` back to ``VmRSS``); then ``repeat`` timed runs,
each preceded by the case's untimed ``reset`` (restoring an overwritten logits buffer,
dropping the previous gradient); then ``VmHWM`` is read. The extra peak is
``VmHWM - VmRSS at the reset``: the memory the computation itself needed beyond its
inputs (and beyond buffers it reuses), rounded to pages.

Where ``clear_refs`` cannot be written the peak is ``ru_maxrss`` of
:func:`resource.getrusage`, which cannot be reset: its extra peak is measured from the
RSS before the timed runs but is only a lower bound when set-up peaked higher, and the
record says so.
"""

from __future__ import annotations

import gc
import sys
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["PeakMeter", "Prepared", "Skip", "measure"]


class Skip(Exception):  # noqa: N818 - a signal, not an error
    """The case cannot run here (a library or an entry point is missing): not a failure."""


def _nothing() -> None:
    return None


def _float_value(result: Any) -> tuple[float | None, float | None]:
    return float(result), None


@dataclass
class Prepared:
    """A case ready to time.

    Attributes
    ----------
    run : callable
        The timed call; it returns what ``finish`` needs (the loss, the gradient).
    input_bytes : int
        The size the case's memory is expressed in (the logits, or the probabilities;
        for linear cross-entropy the ``N x V`` logits the naive version materialises).
    reset : callable
        Untimed, before every run: restore what a run overwrites, drop what it left.
    finish : callable
        Untimed, on the last run's result: ``(loss value, gradient check)`` where the
        gradient check is the float64 sum of squares of the first rows of the gradient.
    details : dict
        Anything to record with the case (what exactly was timed, a method).
    """

    run: Callable[[], Any]
    input_bytes: int
    reset: Callable[[], None] = _nothing
    finish: Callable[[Any], tuple[float | None, float | None]] = _float_value
    details: dict[str, Any] = field(default_factory=dict)


def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _maxrss_bytes() -> int:
    import resource  # POSIX only

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


class PeakMeter:
    """The extra peak resident memory of a stretch of code (see the module notes)."""

    def __init__(self) -> None:
        self.method = "VmHWM - VmRSS after /proc/self/clear_refs reset"
        self.baseline = 0
        self.reset_ok = False

    def start(self) -> None:
        """Reset the peak to the current resident size and remember that size."""
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
                refs.write("5")
            self.reset_ok = True
        except OSError:
            self.reset_ok = False
        rss = _status_kib("VmRSS")
        if self.reset_ok and rss is not None:
            self.baseline = rss * 1024
            return
        self.reset_ok = False
        self.method = (
            "ru_maxrss (getrusage) minus the RSS before the runs; the peak could not be "
            "reset, so this is a lower bound when set-up peaked higher"
        )
        self.baseline = rss * 1024 if rss is not None else _maxrss_bytes()

    def stop(self) -> int:
        """The peak since :meth:`start` minus the resident size then, in bytes (>= 0)."""
        hwm = _status_kib("VmHWM") if self.reset_ok else None
        peak = hwm * 1024 if hwm is not None else _maxrss_bytes()
        return max(0, peak - self.baseline)


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    gc.disable()
    try:
        start = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - start
    finally:
        gc.enable()
    return seconds, result


def measure(prepared: Prepared, *, repeat: int, warmup: int) -> dict[str, Any]:
    """Warm up, reset the peak, time ``repeat`` runs; the record the case prints."""
    warmup_times = []
    result: Any = None
    for _ in range(warmup):
        result = None  # the previous result must not stay alive during the next run
        prepared.reset()
        seconds, result = _timed(prepared.run)
        warmup_times.append(seconds)
    result = None
    prepared.reset()
    gc.collect()
    meter = PeakMeter()
    meter.start()
    times = []
    for _ in range(repeat):
        result = None
        prepared.reset()
        seconds, result = _timed(prepared.run)
        times.append(seconds)
    extra_peak = meter.stop()
    value, grad_check = prepared.finish(result)
    return {
        "status": "ok",
        "times": times,
        "warmup_times": warmup_times,
        "extra_peak_bytes": extra_peak,
        "rss_at_reset_bytes": meter.baseline,
        "peak_method": meter.method,
        "input_bytes": prepared.input_bytes,
        "value": value,
        "grad_check": grad_check,
        "details": prepared.details,
    }
