"""Score a dataset of prediction files: streaming on one machine, or on a Dask cluster.

Both paths run the same :class:`ScoreAccumulator` over the same batches with the same
row numbers, so they agree to rounding (the tests hold them to 1e-12): on one machine
the batches are folded in file order; on Dask each partition (a Parquet row group, a
slice of a ``.npy`` file, or a whole CSV/Arrow/``.npz`` file) is scored on a worker
and the partial accumulators are merged pairwise in a tree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from crossentropy.scoring._read import (
    Partition,
    Source,
    count_rows,
    expand_sources,
    locate_rows,
    partitions,
    read_batches,
    read_partition,
    resolve_dataset_columns,
)
from crossentropy.scoring._stats._accumulator import ScoreAccumulator
from crossentropy.scoring._types import InvalidRowError

if TYPE_CHECKING:
    from crossentropy.scoring._columns import ColumnSpec, ResolvedColumns
    from crossentropy.scoring._types import InvalidRow, ScoreResult

__all__ = ["DatasetPlan", "default_batch_rows", "plan_dataset", "score_dataset"]

#: Called after each batch with (rows in the batch, the batch's source).
ProgressCallback = Callable[[int, str], None]


@dataclasses.dataclass(frozen=True)
class DatasetPlan:
    """What will be read: the sources and the columns resolved once for all of them."""

    sources: tuple[Source, ...]
    columns: ResolvedColumns
    total_rows: int | None  # None when some source does not know its row count up front


def plan_dataset(
    paths: str | Sequence[str],
    *,
    columns: ColumnSpec | None = None,
    file_format: str | None = None,
    has_header: bool | None = None,
) -> DatasetPlan:
    """Expand ``paths`` (files, directories, globs, ``"-"``) and resolve the columns once.

    Every source must have the same columns as the first (a ``ValueError`` names the
    first file that differs), so a directory of files is scored as one dataset.
    """
    names = [paths] if isinstance(paths, str) else list(paths)
    sources = tuple(expand_sources(names, file_format=file_format, has_header=has_header))
    resolved = resolve_dataset_columns(sources, columns, has_header=has_header)
    counts = [count_rows(source) for source in sources]
    total = None if any(count is None for count in counts) else sum(c for c in counts if c)
    return DatasetPlan(sources=sources, columns=resolved, total_rows=total)


def score_dataset(
    paths: str | Sequence[str] | DatasetPlan,
    *,
    columns: ColumnSpec | None = None,
    file_format: str | None = None,
    has_header: bool | None = None,
    batch_rows: int | None = None,
    client: Any = None,
    progress: ProgressCallback | None = None,
    level: float = 0.95,
    **options: Any,
) -> ScoreResult:
    """Score prediction files with bounded memory, on this machine or a Dask cluster.

    Parameters
    ----------
    paths : str, sequence of str, or DatasetPlan
        Files (CSV, TSV, Parquet, Arrow IPC, ``.npy``, ``.npz``), directories of them,
        glob patterns, or ``"-"`` for CSV on standard input. Together one dataset.
    columns : ColumnSpec, optional
        Which columns hold the label, the scores and the weights; what is not given is
        detected (see ``result.options["columns"]`` for what was chosen).
    file_format, has_header : optional
        Override the format guessed from the extension, and the CSV header guess.
    batch_rows : int, optional
        Rows per batch: memory is bounded by about ``batch_rows`` times the row width.
        Default: about 4 million scores (32 MB of float64) per batch, at most 65536
        rows, at least 1024 (:func:`default_batch_rows`).
    client : distributed.Client, optional
        Score the partitions on this Dask cluster and merge them there. The result
        equals the single-machine result to rounding (1e-12 relative).
    progress : callable, optional
        ``progress(rows, source)`` after each batch (single machine) or partition (Dask).
    level : float
        Confidence level of the bootstrap interval (with ``bootstrap=B`` in ``options``).
    **options
        Passed to :class:`ScoreAccumulator`: ``n_bins``, ``top_k``, ``worst``,
        ``bootstrap``, ``seed``, ``on_invalid``, ``sum_tolerance``, ``eps``.

    Returns
    -------
    ScoreResult
        With ``sources`` and ``options["columns"]`` (the column choice in words) filled.
    """
    if batch_rows is not None and batch_rows < 1:
        msg = f"batch_rows must be a positive integer, got {batch_rows!r}"
        raise ValueError(msg)
    plan = (
        paths
        if isinstance(paths, DatasetPlan)
        else plan_dataset(paths, columns=columns, file_format=file_format, has_header=has_header)
    )
    if batch_rows is None:
        batch_rows = default_batch_rows(plan.columns.n_classes)
    empty = ScoreAccumulator(plan.columns.classes, **options)
    try:
        if client is None:
            accumulator = empty
            for source in plan.sources:
                for batch in read_batches(source, plan.columns, batch_rows=batch_rows):
                    accumulator = accumulator.update_batch(batch)
                    if progress is not None:
                        progress(len(batch.rows) + len(batch.invalid), batch.source)
        else:
            accumulator = _score_on_dask(client, plan, empty, batch_rows, progress)
    except InvalidRowError as exc:  # name the row as an editor finds it: its line
        row = _named_column(exc.row, plan.columns)
        raise exc.located(locate_rows(plan.sources, [row])[0]) from None
    result = accumulator.result(level=level)
    described = {**result.options, "columns": plan.columns.description}
    named = [_named_column(row, plan.columns) for row in result.invalid.examples]
    examples = tuple(locate_rows(plan.sources, named))
    return dataclasses.replace(
        result,
        sources=tuple(source.path for source in plan.sources),
        options=described,
        invalid=dataclasses.replace(result.invalid, examples=examples),
    )


#: The reasons the accumulator gives with the 0-based score position as the column.
_SCORE_REASONS = frozenset({"nan", "infinite", "negative probability", "probability > 1"})


def _named_column(row: InvalidRow, columns: ResolvedColumns) -> InvalidRow:
    """``row`` with its score column named as in the file (``p_b``, not ``1``).

    The accumulator knows a bad score by its position in the row; a file's reader knows
    the column's name: ``p_b`` for one column per class, ``scores[:, 1]`` for an
    ``.npz`` matrix, the single score column for the binary kinds.
    """
    if row.reason not in _SCORE_REASONS:
        return row
    scores = columns.scores
    if not row.column:
        name = scores[0] if len(scores) == 1 else ""
    elif not row.column.isdigit():
        return row
    elif len(scores) > 1:
        name = scores[int(row.column)]
    else:
        name = f"{scores[0]}[:, {row.column}]"
    return dataclasses.replace(row, column=name)


def default_batch_rows(n_classes: int) -> int:
    """Rows per batch for ``n_classes`` score columns: ~2**22 scores, within [1024, 65536].

    >>> default_batch_rows(10), default_batch_rows(1000), default_batch_rows(100_000)
    (65536, 4194, 1024)
    """
    return max(1024, min(65536, (1 << 22) // max(1, n_classes)))


def _score_partition(
    partition: Partition, columns: ResolvedColumns, empty: ScoreAccumulator, batch_rows: int
) -> ScoreAccumulator:
    """Runs on a Dask worker: one partition's accumulator."""
    accumulator = empty
    for batch in read_partition(partition, columns, batch_rows=batch_rows):
        accumulator = accumulator.update_batch(batch)
    return accumulator


def _merge_pair(first: ScoreAccumulator, second: ScoreAccumulator) -> ScoreAccumulator:
    return first.merge(second)


def _score_on_dask(
    client: Any,
    plan: DatasetPlan,
    empty: ScoreAccumulator,
    batch_rows: int,
    progress: ProgressCallback | None,
) -> ScoreAccumulator:
    """Map the partitions over the cluster, then merge the accumulators in a tree."""
    from distributed import as_completed  # the dask extra, only here

    parts = [part for source in plan.sources for part in partitions(source)]
    if not parts:
        return empty
    futures = client.map(
        _score_partition,
        parts,
        columns=plan.columns,
        empty=empty,
        batch_rows=batch_rows,
        pure=False,
    )
    # Merge neighbours pairwise: a tree of depth log2(partitions), all on the cluster.
    # Submitted at once, so merges start while other partitions are still being scored.
    level = list(futures)
    while len(level) > 1:
        paired = [
            client.submit(_merge_pair, level[i], level[i + 1], pure=False)
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    if progress is not None:
        part_of = {future.key: part for future, part in zip(futures, parts, strict=True)}
        for future in as_completed(futures):
            if future.status == "error":
                future.result()  # raise the worker's error here, with its message
            # (no .result() otherwise: the accumulator stays on the cluster for the merge)
            part = part_of[future.key]
            progress(part.n_rows or 0, part.source.path)
    merged: ScoreAccumulator = level[0].result()
    return merged
