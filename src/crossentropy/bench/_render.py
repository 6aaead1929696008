"""Tables of a :class:`~crossentropy.bench.SuiteResult`: rich when installed, plain text otherwise.

One table per group of cases that ran on the same inputs (group, mode, shape). Rows are
the implementations; the ``x faster than P`` columns hold, for each of ours, ``P's
median / ours' median`` with both measured in the same run (> 1: ours is faster).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from crossentropy.bench._spec import shape_text

if TYPE_CHECKING:
    from crossentropy.bench._results import CaseResult, SuiteResult

__all__ = ["Table", "format_bytes", "print_tables", "render_text", "tables"]

_GROUP_TITLES = {
    "softmax": "softmax cross-entropy",
    "probabilities": "cross-entropy of probabilities (log loss)",
    "linear": "linear cross-entropy",
}


@dataclass(frozen=True)
class Table:
    """A rendered-agnostic table: title, column headers, rows of cells, footer lines."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    footer: tuple[str, ...]


def format_bytes(size: float | None) -> str:
    """Decimal units, as in GB/s: ``1.05 GB``; ``-`` for None."""
    if size is None:
        return "-"
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(size) >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size:.0f} B"


def _seconds(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.4f}" if 1e-3 <= value < 100 else f"{value:.4g}"


def _ratio(value: float | None) -> str:
    if value is None:
        return ""
    if not math.isfinite(value):
        return str(value)
    return f"{value:.3g}" if value < 100 else f"{value:.0f}"


def _diff(value: float | None) -> str:
    return "-" if value is None else f"{value:.1e}"


def _title(result: SuiteResult, group: str, mode: str, shape: tuple[int, ...]) -> str:
    cases = result.cases_of(group, mode, shape)
    dtype = cases[0].spec.dtype
    size = next((c.input_bytes for c in cases if c.input_bytes), None)
    what = "logits" if group == "softmax" else "probabilities"
    if group == "linear":
        n, h, v = shape
        text = f"{_GROUP_TITLES[group]}, {mode}, N={n} H={h} V={v} {dtype}"
        return text + f" (N x V logits {format_bytes(size)})"
    text = f"{_GROUP_TITLES[group]}, {mode}, {shape_text(shape)} {dtype}"
    text += f" ({what} {format_bytes(size)})"
    bandwidth = result.bandwidth(shape, dtype)
    rate = result.bandwidth_bytes_per_s(shape, dtype)
    if bandwidth is not None and rate is not None and size:
        method = bandwidth.details.get("method", "")
        measured = [
            f"{(c.input_bytes or 0) / c.median / 1e9:.1f} "
            + ("after" if c.spec.implementation == "sum-after" else "before")
            for c in result.bandwidths(shape, dtype)
        ]
        text += (
            f"; read limit {rate / 1e9:.1f} GB/s ({method}; GB/s {', '.join(measured)} "
            f"the cases): reading the {what} once takes {_seconds(size / rate)} s"
        )
    return text


def _cells(result: SuiteResult, case: CaseResult, peers: list[CaseResult], both: bool) -> list[str]:
    role = case.role
    if not case.ok:
        status = "skipped" if case.status == "skipped" else "ERROR"
        return [role, case.label, status, *[""] * (6 + len(peers))]
    spread = (max(case.times) - min(case.times)) / case.median if case.median > 0 else 0.0
    fraction = result.read_limit_fraction(case)
    value_diff, grad_diff = result.agreement(case)
    diff = _diff(value_diff) + (f" / {_diff(grad_diff)}" if both else "")
    ratio = case.extra_peak_input_ratio
    ratios = [
        _ratio(peer.median / case.median) if case.role == "ours" and case.median > 0 else ""
        for peer in peers
    ]
    return [
        role,
        case.label,
        _seconds(case.median),
        f"{100 * spread:.0f}%",
        format_bytes(case.extra_peak_bytes),
        "-" if ratio is None else f"{ratio:.2f}",
        "" if fraction is None else f"{100 * fraction:.0f}%",
        "-" if case.value is None else f"{case.value:.7g}",
        diff if case.value is not None else "",
        *ratios,
    ]


def tables(result: SuiteResult) -> list[Table]:
    """One :class:`Table` per group of cases that ran on the same inputs."""
    out = []
    for group, mode, shape in result.groups():
        cases = result.cases_of(group, mode, shape)
        ref = result.reference(group, mode, shape)
        ref_name = ref.family if ref is not None else "-"
        peers = [c for c in cases if c.ok and c.role in ("peer", "floor")]
        both = mode == "forward+backward"
        headers = (
            "",
            "implementation",
            "median s",
            "spread",
            "extra peak",
            "x input",
            "% read limit",
            "loss",
            f"rel. diff vs {ref_name}" + (" (loss / grad)" if both else ""),
            *(f"x faster than {p.family if p.role == 'peer' else 'floor'}" for p in peers),
        )
        rows = [_cells(result, c, peers, both) for c in cases]
        # Leave out columns with nothing in them (no read limit for forward+backward).
        keep = [i for i in range(len(headers)) if i < 2 or any(row[i] for row in rows)]
        footer = _footer(result, cases, ref_name, both)
        out.append(
            Table(
                _title(result, group, mode, shape),
                tuple(headers[i] for i in keep),
                tuple(tuple(row[i] for i in keep) for row in rows),
                tuple(footer),
            )
        )
    return out


def _footer(result: SuiteResult, cases: list[CaseResult], ref_name: str, both: bool) -> list[str]:
    lines = []
    diffs = [result.agreement(c) for c in cases if c.ok]
    values = [d[0] for d in diffs if d[0] is not None]
    grads = [d[1] for d in diffs if d[1] is not None]
    if len(values) > 1:
        text = f"max relative disagreement vs {ref_name}: loss {max(values):.1e}"
        if both and grads:
            text += f", gradient check {max(grads):.1e}"
        lines.append(text)
    for case in cases:
        if case.status == "ok" and "flop" in case.details and case.median > 0:
            chunk = case.details.get("chunk_tokens")
            lines.append(
                f"{case.label}: {case.details['flop'] / case.median / 1e9:.0f} GFLOP/s "
                f"(chunks of {chunk} tokens; {case.details.get('timed', '')})"
            )
        if case.status != "ok":
            lines.append(f"{case.status}: {case.label}: {case.reason}")
    return lines


def _preamble(result: SuiteResult) -> list[str]:
    config = result.config
    linear = f" (linear: {config.linear_repeat} runs)" if config.linear_repeat else ""
    lines = [
        (
            f"crossentropy bench: {config.threads} threads, median of {config.repeat} runs "
            f"after {config.warmup} warm-up{linear}, each case in a fresh process"
        ),
        (
            "x faster than P = P's median time / ours' median time, both measured in this run "
            "(> 1: ours is faster); extra peak = peak RSS during the timed runs - RSS before "
            "them (inputs excluded), x input = the same in units of the input's size; "
            "% read limit = (input bytes / median) / read bandwidth."
        ),
    ]
    lines.extend(f"note: {note}" for note in result.notes)
    return lines


def render_text(result: SuiteResult) -> str:
    """All tables as plain text."""
    blocks = ["\n".join(_preamble(result))]
    for table in tables(result):
        widths = [
            max(len(h), *(len(r[i]) for r in table.rows)) if table.rows else len(h)
            for i, h in enumerate(table.headers)
        ]

        def line(cells: tuple[str, ...], widths: list[int] = widths) -> str:
            parts = [
                c.ljust(w) if i < 2 else c.rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ]
            return "  ".join(parts).rstrip()

        rule = "-" * len(line(table.headers))
        text = [table.title, rule, line(table.headers), rule]
        text += [line(row) for row in table.rows]
        text += [rule, *table.footer]
        blocks.append("\n".join(text))
    return "\n\n".join(blocks) + "\n"


def print_tables(result: SuiteResult, file: TextIO, *, use_rich: bool | None = None) -> None:
    """Print the tables to ``file``: with rich when installed (or ``use_rich``), else plain."""
    if use_rich is None:
        try:
            import rich  # noqa: F401
        except ImportError:
            use_rich = False
        else:
            use_rich = True
    if not use_rich:
        file.write(render_text(result))
        return
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    # Cells are Text, not markup: labels such as "-log p[y]" must print as written.
    console = Console(file=file, width=None if file.isatty() else 240, highlight=False)
    console.print(Text("\n".join(_preamble(result))), soft_wrap=True)
    for table in tables(result):
        rich_table = RichTable(
            title=Text(table.title),
            title_justify="left",
            caption=Text("\n".join(table.footer)) if table.footer else None,
            caption_justify="left",
        )
        for i, header in enumerate(table.headers):
            rich_table.add_column(Text(header), justify="left" if i < 2 else "right", no_wrap=i < 2)
        for row in table.rows:
            style: Any = "bold" if row[0] == "ours" else None
            rich_table.add_row(*(Text(cell) for cell in row), style=style)
        console.print()
        console.print(rich_table)
