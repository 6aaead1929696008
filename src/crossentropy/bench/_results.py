"""The results of a benchmark run: one record per case, the ratios, the JSON form.

Everything derived (medians, ratios, agreement, fractions of the read limit) is
computed from the measured records, so a result read back from JSON is the same object
and renders the same table.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from dataclasses import dataclass, field
from typing import Any, Literal

from crossentropy._json import json_number
from crossentropy.bench._spec import CaseSpec, SuiteConfig, implementation

__all__ = ["SCHEMA", "CaseResult", "Comparison", "SuiteResult"]

SCHEMA = "crossentropy.bench/1"
Status = Literal["ok", "skipped", "error"]
_REFERENCES = {"softmax": ("torch",), "probabilities": ("sklearn",), "linear": ("torch",)}


def _finite_or_text(value: float | None) -> float | str | None:
    """``value`` for JSON: ``None`` kept, non-finite floats as "inf", "-inf", "nan"."""
    return None if value is None else json_number(value)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass(frozen=True)
class CaseResult:
    """What one case measured, with its spec.

    Attributes
    ----------
    spec : CaseSpec
    status : {"ok", "skipped", "error"}
    reason : str or None
        Why a case was skipped or failed.
    times : tuple of float
        Seconds of each timed run, in order.
    warmup_times : tuple of float
        Seconds of the untimed warm-up runs (compilation shows here).
    extra_peak_bytes : int or None
        Peak resident memory during the timed runs minus the resident memory before
        them (inputs and reused buffers excluded).
    rss_at_reset_bytes : int or None
    peak_method : str or None
        How the peak was measured.
    input_bytes : int or None
        The input the memory is expressed in (logits, probabilities; for linear
        cross-entropy the ``N x V`` logits).
    value : float or None
        The loss of the last run (None for floors and limits).
    grad_check : float or None
        Float64 sum of squares of the first rows of the gradient (forward+backward).
    details : dict
        Case-specific notes (the bandwidth method, the matmul floor's chunking, ...).
    """

    spec: CaseSpec
    status: Status
    reason: str | None = None
    times: tuple[float, ...] = ()
    warmup_times: tuple[float, ...] = ()
    extra_peak_bytes: int | None = None
    rss_at_reset_bytes: int | None = None
    peak_method: str | None = None
    input_bytes: int | None = None
    value: float | None = None
    grad_check: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The spec's name, ``group/mode/shape/implementation``."""
        return self.spec.name

    @property
    def ok(self) -> bool:
        """Whether the case ran and has times."""
        return self.status == "ok" and bool(self.times)

    @property
    def median(self) -> float:
        """Median seconds of the timed runs (NaN when the case did not run)."""
        return statistics.median(self.times) if self.times else math.nan

    @property
    def label(self) -> str:
        """The implementation's label, as printed."""
        return implementation(self.spec.group, self.spec.implementation, self.spec.mode).label

    @property
    def role(self) -> str:
        """ours, peer, floor or limit."""
        return implementation(self.spec.group, self.spec.implementation, self.spec.mode).role

    @property
    def family(self) -> str:
        """The ``--peers`` / ``--ours`` name."""
        return implementation(self.spec.group, self.spec.implementation, self.spec.mode).family

    @property
    def extra_peak_input_ratio(self) -> float | None:
        """Extra peak in units of the input's size (1.0: one more copy of the logits)."""
        if self.extra_peak_bytes is None or not self.input_bytes:
            return None
        return self.extra_peak_bytes / self.input_bytes

    @classmethod
    def from_record(cls, spec: CaseSpec, record: dict[str, Any]) -> CaseResult:
        """A result from the JSON record the case subprocess printed."""
        return cls(
            spec=spec,
            status=record.get("status", "error"),
            reason=record.get("reason"),
            times=tuple(float(t) for t in record.get("times", ())),
            warmup_times=tuple(float(t) for t in record.get("warmup_times", ())),
            extra_peak_bytes=record.get("extra_peak_bytes"),
            rss_at_reset_bytes=record.get("rss_at_reset_bytes"),
            peak_method=record.get("peak_method"),
            input_bytes=record.get("input_bytes"),
            value=_float_or_none(record.get("value")),
            grad_check=_float_or_none(record.get("grad_check")),
            details=dict(record.get("details") or {}),
        )


@dataclass(frozen=True)
class Comparison:
    """One of ours against one peer (or a floor) on the same inputs, in the same run.

    Attributes
    ----------
    group, mode, shape
        The inputs both ran on.
    ours, peer : str
        Implementation keys.
    ratio : float
        ``peer median / ours median``: how many times faster ours is (> 1: ours is faster).
    memory_ratio : float or None
        ``peer extra peak / ours extra peak``: how many times less extra memory ours
        needs (``inf`` when ours needs none and the peer some; None when neither).
    ours_median_s, peer_median_s : float
    """

    group: str
    mode: str
    shape: tuple[int, ...]
    ours: str
    peer: str
    ratio: float
    memory_ratio: float | None
    ours_median_s: float
    peer_median_s: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        out = dataclasses.asdict(self)
        out["shape"] = list(self.shape)
        out["ratio"] = _finite_or_text(self.ratio)
        out["memory_ratio"] = _finite_or_text(self.memory_ratio)
        return out


def _memory_ratio(peer: int | None, ours: int | None) -> float | None:
    if peer is None or ours is None:
        return None
    if ours > 0:
        return peer / ours
    return math.inf if peer > 0 else None


def _rate(case: CaseResult) -> float:
    """Bytes per second of a bandwidth case."""
    return (case.input_bytes or 0) / case.median


def _relative_difference(value: float | None, reference: float | None) -> float | None:
    if value is None or reference is None:
        return None
    scale = abs(reference)
    return abs(value - reference) / scale if scale > 0 else abs(value - reference)


@dataclass(frozen=True)
class SuiteResult:
    """A whole run: settings, machine, every case, and what follows from them.

    Attributes
    ----------
    config : SuiteConfig
    cases : tuple of CaseResult
        In the order they ran; skipped cases included.
    machine : dict
        CPU count, the CPUs the cases were pinned to, memory, platform, Python.
    versions : dict
        Versions of the libraries involved (None: not installed).
    created : str
        ISO 8601 time the run started.
    elapsed_s : float
        Wall time of the whole run.
    notes : tuple of str
        Anything the run changed or could not do (a shape reduced to fit memory).
    """

    config: SuiteConfig
    cases: tuple[CaseResult, ...]
    machine: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str | None] = field(default_factory=dict)
    created: str = ""
    elapsed_s: float = 0.0
    notes: tuple[str, ...] = ()

    # ------------------------------------------------------------------ derived

    def groups(self) -> list[tuple[str, str, tuple[int, ...]]]:
        """``(group, mode, shape)`` of the compared groups, in order of first appearance."""
        seen: dict[tuple[str, str, tuple[int, ...]], None] = {}
        for case in self.cases:
            if case.spec.group != "bandwidth":
                seen[case.spec.group, case.spec.mode, case.spec.shape] = None
        return list(seen)

    def cases_of(self, group: str, mode: str, shape: tuple[int, ...]) -> list[CaseResult]:
        """The cases of one group, mode and shape."""
        return [
            c
            for c in self.cases
            if (c.spec.group, c.spec.mode, c.spec.shape) == (group, mode, shape)
        ]

    def reference(self, group: str, mode: str, shape: tuple[int, ...]) -> CaseResult | None:
        """The case whose values the others are checked against.

        torch for logits, scikit-learn for probabilities, else the first peer (or case)
        that ran.
        """
        ran = [c for c in self.cases_of(group, mode, shape) if c.ok and c.value is not None]
        for key in _REFERENCES.get(group, ()):
            for case in ran:
                if case.spec.implementation == key:
                    return case
        peers = [c for c in ran if c.role == "peer"]
        candidates = peers or ran
        return candidates[0] if candidates else None

    def bandwidths(self, shape: tuple[int, ...], dtype: str) -> list[CaseResult]:
        """The read-bandwidth cases that ran for inputs of ``shape`` and ``dtype``."""
        return [
            case
            for case in self.cases
            if case.spec.group == "bandwidth"
            and case.ok
            and case.input_bytes
            and (case.spec.shape, case.spec.dtype) == (shape, dtype)
        ]

    def bandwidth(self, shape: tuple[int, ...], dtype: str) -> CaseResult | None:
        """The fastest read-bandwidth case for that input size: the read limit."""
        cases = self.bandwidths(shape, dtype)
        return max(cases, key=_rate) if cases else None

    def bandwidth_bytes_per_s(self, shape: tuple[int, ...], dtype: str) -> float | None:
        """The read limit in bytes per second for that input size (None: not measured)."""
        case = self.bandwidth(shape, dtype)
        return None if case is None else _rate(case)

    def read_limit_fraction(self, case: CaseResult) -> float | None:
        """``(input bytes / median) / bandwidth`` for forward cases: 1.0 is the read limit."""
        if case.spec.mode != "forward" or case.role not in ("ours", "peer") or not case.ok:
            return None
        bandwidth = self.bandwidth_bytes_per_s(case.spec.shape, case.spec.dtype)
        if bandwidth is None or not case.input_bytes:
            return None
        return case.input_bytes / case.median / bandwidth

    def agreement(self, case: CaseResult) -> tuple[float | None, float | None]:
        """Relative difference of the loss and of the gradient check from the reference."""
        ref = self.reference(case.spec.group, case.spec.mode, case.spec.shape)
        if ref is None or not case.ok:
            return None, None
        return (
            _relative_difference(case.value, ref.value),
            _relative_difference(case.grad_check, ref.grad_check),
        )

    def comparisons(self) -> list[Comparison]:
        """Every (ours, peer or floor) pair of each group that both ran."""
        out: list[Comparison] = []
        for group, mode, shape in self.groups():
            ran = [c for c in self.cases_of(group, mode, shape) if c.ok]
            for ours in (c for c in ran if c.role == "ours"):
                out.extend(
                    Comparison(
                        group=group,
                        mode=mode,
                        shape=shape,
                        ours=ours.spec.implementation,
                        peer=peer.spec.implementation,
                        ratio=peer.median / ours.median if ours.median > 0 else math.inf,
                        memory_ratio=_memory_ratio(peer.extra_peak_bytes, ours.extra_peak_bytes),
                        ours_median_s=ours.median,
                        peer_median_s=peer.median,
                    )
                    for peer in ran
                    if peer.role in ("peer", "floor")
                )
        return out

    # -------------------------------------------------------------------- JSON

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (schema :data:`SCHEMA`); derived figures are included."""
        return {
            "schema": SCHEMA,
            "created": self.created,
            "elapsed_s": self.elapsed_s,
            "machine": self.machine,
            "versions": self.versions,
            "config": self.config.to_dict(),
            "notes": list(self.notes),
            "bandwidth": [
                self._bandwidth_dict(c) for c in self.cases if c.spec.group == "bandwidth"
            ],
            "cases": [self._case_dict(c) for c in self.cases],
            "comparisons": [c.to_dict() for c in self.comparisons()],
        }

    def _bandwidth_dict(self, case: CaseResult) -> dict[str, Any]:
        ok = case.ok and bool(case.input_bytes)
        return {
            "shape": list(case.spec.shape),
            "dtype": case.spec.dtype,
            "when": "after" if case.spec.implementation == "sum-after" else "before",
            "bytes": case.input_bytes,
            "median_s": case.median if ok else None,
            "gb_per_s": _rate(case) / 1e9 if ok else None,
            "is_read_limit": ok and case is self.bandwidth(case.spec.shape, case.spec.dtype),
            "method": case.details.get("method"),
        }

    def _case_dict(self, case: CaseResult) -> dict[str, Any]:
        value_diff, grad_diff = self.agreement(case)
        ref = self.reference(case.spec.group, case.spec.mode, case.spec.shape)
        return {
            "name": case.name,
            **case.spec.to_dict(),
            "label": case.label,
            "role": case.role,
            "family": case.family,
            "peer": case.family if case.role == "peer" else None,
            "status": case.status,
            "reason": case.reason,
            "median_s": _finite_or_text(case.median) if case.ok else None,
            "times_s": list(case.times),
            "warmup_times_s": list(case.warmup_times),
            "extra_peak_bytes": case.extra_peak_bytes,
            "extra_peak_input_ratio": case.extra_peak_input_ratio,
            "rss_at_reset_bytes": case.rss_at_reset_bytes,
            "peak_method": case.peak_method,
            "input_bytes": case.input_bytes,
            "value": _finite_or_text(case.value),
            "grad_check": _finite_or_text(case.grad_check),
            "reference": None if ref is None or case.spec.group == "bandwidth" else ref.name,
            "value_rel_diff": _finite_or_text(value_diff),
            "grad_rel_diff": _finite_or_text(grad_diff),
            "read_limit_fraction": self.read_limit_fraction(case),
            "details": case.details,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SuiteResult:
        """Read back :meth:`to_dict`'s document (derived figures are recomputed)."""
        if data.get("schema") != SCHEMA:
            msg = f"not a {SCHEMA} document (schema {data.get('schema')!r})"
            raise ValueError(msg)
        cases = []
        for item in data["cases"]:
            record = dict(item)
            record["times"] = item["times_s"]
            record["warmup_times"] = item["warmup_times_s"]
            cases.append(CaseResult.from_record(CaseSpec.from_dict(item), record))
        return cls(
            config=SuiteConfig.from_dict(data["config"]),
            cases=tuple(cases),
            machine=data["machine"],
            versions=data["versions"],
            created=data["created"],
            elapsed_s=data["elapsed_s"],
            notes=tuple(data["notes"]),
        )
