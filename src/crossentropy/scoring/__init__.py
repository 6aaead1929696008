"""Judge a classifier's predicted probabilities: cross-entropy with honest baselines.

The engine is a mergeable accumulator of sufficient statistics: ``update(batch)`` and
``merge(other)`` return new accumulators, and any split of the data, in any order,
merges to the same :class:`ScoreResult` (to rounding). On top of it:

* :func:`score` for arrays in memory;
* :func:`score_dataset` for files (CSV/TSV, Parquet, Arrow IPC, ``.npy``/``.npz``,
  directories and globs of them, standard input), streamed in batches with bounded
  memory, on one machine or on a Dask cluster (``client=``);
* :func:`verdict` to say in words what the numbers mean, judged against the uniform
  guess (``ln K``) and the label frequencies (``H(prior)``), with the tutorial rule of
  thumb shown as what it is;
* reports: :func:`render_text` (a rich table), :func:`write_html` (one self-contained
  file), :func:`write_pngs` and the ``plot_*`` functions (matplotlib).

Examples
--------
>>> from crossentropy.scoring import score, verdict
>>> result = score([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]], [0, 1, 2])
>>> round(result.cross_entropy, 4), result.accuracy
(0.3635, 1.0)
>>> round(result.uniform_baseline, 4)  # ln 3: what guessing 1/3 each scores
1.0986
"""

from crossentropy._atomic import OutputExistsError, check_writable, write_atomically
from crossentropy.scoring._columns import ColumnSpec, ResolvedColumns
from crossentropy.scoring._dataset import DatasetPlan, plan_dataset, score_dataset
from crossentropy.scoring._read import (
    Partition,
    Source,
    expand_sources,
    partitions,
    read_batches,
    read_partition,
)
from crossentropy.scoring._report._html import render_html, write_html
from crossentropy.scoring._report._json import result_to_dict
from crossentropy.scoring._report._plots import (
    plot_classes,
    plot_histogram,
    plot_reliability,
    write_pngs,
)
from crossentropy.scoring._report._text import plain_text, render_text
from crossentropy.scoring._report._verdict import rule_of_thumb, verdict
from crossentropy.scoring._stats._accumulator import ScoreAccumulator
from crossentropy.scoring._stats._options import ScoreOptions
from crossentropy.scoring._stats._score import merge_all, score
from crossentropy.scoring._types import (
    Batch,
    CalibrationBins,
    Interval,
    InvalidRow,
    InvalidRowError,
    InvalidSummary,
    ScoreResult,
    Verdict,
    WorstRow,
)

__all__ = [
    "Batch",
    "CalibrationBins",
    "ColumnSpec",
    "DatasetPlan",
    "Interval",
    "InvalidRow",
    "InvalidRowError",
    "InvalidSummary",
    "OutputExistsError",
    "Partition",
    "ResolvedColumns",
    "ScoreAccumulator",
    "ScoreOptions",
    "ScoreResult",
    "Source",
    "Verdict",
    "WorstRow",
    "check_writable",
    "expand_sources",
    "merge_all",
    "partitions",
    "plain_text",
    "plan_dataset",
    "plot_classes",
    "plot_histogram",
    "plot_reliability",
    "read_batches",
    "read_partition",
    "render_html",
    "render_text",
    "result_to_dict",
    "rule_of_thumb",
    "score",
    "score_dataset",
    "verdict",
    "write_atomically",
    "write_html",
    "write_pngs",
]
