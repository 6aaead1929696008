"""``crossentropy score``: judge a classifier's predicted probabilities from files.

Parsing and output here; the numbers come from :mod:`crossentropy.scoring`, imported
inside the handler so that ``crossentropy score --help`` starts without NumPy. The
report goes to stdout (a rich table, or JSON with ``--json`` and nothing else), progress
to stderr when it is a terminal. Output files (``--report``, ``--plots``) are checked
before any work, written atomically, and never replace a file without ``--force``.
Exit status: 0 scored, 2 bad input or usage (the message names the file, row and column),
also when no row could be scored (the report or the JSON is still printed).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossentropy.cli._common import (
    Progress,
    UsageError,
    add_parallel_options,
    check_parallel_options,
    dask_client,
    print_json,
)

if TYPE_CHECKING:
    import argparse

    from crossentropy.scoring import ScoreResult, Verdict

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["EXAMPLES", "add_parser"]

#: The bundled example predictions (``src/crossentropy/data/``), by short name.
EXAMPLES = {
    "iris": "iris_predictions.csv",
    "digits": "digits_naive_bayes_predictions.csv",
    "breast-cancer": "breast_cancer_predictions.csv",
}

_DESCRIPTION = """\
Score predicted probabilities (or logits) against the true labels: cross-entropy in
nats and bits with honest baselines (uniform guessing ln K, and always predicting the
label frequencies H(prior)), skill 1 - CE/H(prior), accuracy, Brier, calibration (ECE,
MCE, reliability diagram), per-class cross-entropy and the worst rows, then a verdict in
words. Reads CSV/TSV (with or without header), Parquet, Arrow IPC, .npy/.npz and stdin
('-'); a directory or glob is one dataset, streamed in batches with bounded memory.
"""

_EPILOG = """\
examples:
  crossentropy score --example iris
  crossentropy score preds.csv --label y --probs 'p_*'
  crossentropy score 'data/*.parquet' --logits 'logit_0..logit_999' --report out.html
  cat preds.csv | crossentropy score - --json
  crossentropy score --dask local 'data/*.parquet'
"""


def add_parser(commands: Subparsers, summary: str) -> None:
    """Register ``crossentropy score``."""
    import argparse  # the caller has it loaded already

    score = commands.add_parser(
        "score",
        help=summary,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score.add_argument(
        "paths", nargs="*", metavar="PATH", help="files, directories or globs; '-' for stdin"
    )
    score.add_argument(
        "--example",
        choices=sorted(EXAMPLES),
        help="score a bundled example instead of PATH (iris: 3 classes, digits: 10, "
        "breast-cancer: binary)",
    )
    cols = score.add_argument_group("columns (detected when not given; the choice is reported)")
    cols.add_argument("--label", metavar="COL", help="the true-label column")
    scores = cols.add_mutually_exclusive_group()
    scores.add_argument(
        "--probs",
        metavar="SPEC",
        help="probability columns, one per class: names a,b,c, a glob 'p_*', "
        "a range p_0..p_9, or positions 1:11",
    )
    scores.add_argument("--logits", metavar="SPEC", help="logit columns, one per class")
    scores.add_argument("--prob", metavar="COL", help="binary: the positive class's probability")
    scores.add_argument("--logit", metavar="COL", help="binary: the positive class's logit")
    cols.add_argument("--weight", metavar="COL", help="a sample-weight column")
    cols.add_argument(
        "--classes",
        metavar="NAMES",
        help="comma-separated class names, in the order of the score columns "
        "(binary: negative,positive)",
    )
    cols.add_argument(
        "--format",
        dest="file_format",
        choices=["csv", "tsv", "parquet", "arrow", "npy", "npz"],
        help="override the format guessed from the extension",
    )
    header = cols.add_mutually_exclusive_group()
    header.add_argument(
        "--header", dest="has_header", action="store_const", const=True, help="CSV has a header"
    )
    header.add_argument(
        "--no-header",
        dest="has_header",
        action="store_const",
        const=False,
        help="CSV has no header: columns are named 0, 1, 2, ...",
    )

    bad = score.add_argument_group("bad rows")
    bad.add_argument(
        "--on-invalid",
        choices=["error", "skip", "clip"],
        default="error",
        help="error (default): stop, naming file, row and column; skip: leave out and count; "
        "clip: clip probabilities into [0, 1] and renormalise, skip what cannot be repaired",
    )
    bad.add_argument(
        "--sum-tolerance",
        type=float,
        default=1e-3,
        metavar="TOL",
        help="largest |row sum - 1| accepted for probabilities (default 1e-3)",
    )
    bad.add_argument(
        "--eps",
        type=float,
        metavar="EPS",
        help="floor probabilities at EPS inside the log, like scikit-learn's clipping "
        "(default: exact, a probability of 0 for the true label gives inf)",
    )

    metrics = score.add_argument_group("metrics")
    metrics.add_argument("--bins", type=int, default=15, help="calibration bins (default 15)")
    metrics.add_argument(
        "--top-k",
        default="5",
        metavar="K[,K...]",
        help="top-k accuracies to report, for k < number of classes (default 5)",
    )
    metrics.add_argument(
        "--worst", type=int, default=10, metavar="N", help="worst rows to list (default 10)"
    )
    metrics.add_argument(
        "--bootstrap",
        type=int,
        default=0,
        metavar="B",
        help="a bootstrap confidence interval for the cross-entropy from B resamples "
        "(e.g. 1000; default none)",
    )
    metrics.add_argument("--level", type=float, default=0.95, help="confidence level (0.95)")
    metrics.add_argument("--seed", type=int, default=0, help="the bootstrap's seed")

    out = score.add_argument_group("output")
    out.add_argument("--bits", action="store_true", help="show cross-entropies in bits")
    out.add_argument(
        "--json",
        action="store_true",
        help='print the result as JSON on stdout and nothing else (infinities as "inf")',
    )
    out.add_argument("--report", metavar="FILE.html", help="write a self-contained HTML report")
    out.add_argument("--plots", metavar="DIR", help="write the figures as PNG files into DIR")
    out.add_argument("--force", action="store_true", help="replace existing output files")
    out.add_argument(
        "--batch-rows",
        type=int,
        metavar="N",
        help="rows per batch; memory is bounded by about N rows (default: about 4 million "
        "scores per batch, at most 65536 rows)",
    )
    out.add_argument("--quiet", action="store_true", help="no progress bar on stderr")

    cluster = score.add_argument_group("past one machine (needs the dask extra)")
    add_parallel_options(cluster, "score the partitions")  # type: ignore[arg-type]
    score.set_defaults(handler=_score)


# ----------------------------------------------------------------------------- checks


def _top_k(text: str) -> tuple[int, ...]:
    values: list[int] = []
    for item in text.split(","):
        try:
            value = int(item)
        except ValueError:
            msg = f"--top-k must be comma-separated positive integers, got {text!r}"
            raise UsageError(msg) from None
        if value < 1:
            msg = f"--top-k must be positive, got {value}"
            raise UsageError(msg)
        values.append(value)
    return tuple(values)


def _check_args(args: argparse.Namespace) -> None:
    if args.example and args.paths:
        msg = "give either PATH or --example, not both"
        raise UsageError(msg)
    if not args.example and not args.paths:
        msg = "nothing to score: give a PATH (file, directory, glob or '-') or --example NAME"
        raise UsageError(msg)
    for flag, value, low in (
        ("--bins", args.bins, 1),
        ("--worst", args.worst, 0),
        ("--bootstrap", args.bootstrap, 0),
        ("--batch-rows", args.batch_rows, 1),
    ):
        if value is not None and value < low:
            msg = f"{flag} must be an integer >= {low}, got {value}"
            raise UsageError(msg)
    if not 0 < args.level < 1:
        msg = f"--level must be between 0 and 1, got {args.level}"
        raise UsageError(msg)
    if not args.sum_tolerance >= 0:
        msg = f"--sum-tolerance must be >= 0, got {args.sum_tolerance}"
        raise UsageError(msg)
    if args.eps is not None and not 0 < args.eps < 1:
        msg = f"--eps must be between 0 and 1, got {args.eps}"
        raise UsageError(msg)
    check_parallel_options(args)
    if (args.dask is not None or args.workers is not None) and "-" in args.paths:
        flag = "--dask" if args.dask is not None else "--workers"
        msg = f"{flag} cannot read standard input ('-'): give files the workers can read"
        raise UsageError(msg)


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse before any work when an output exists (without --force) or has no directory."""
    from crossentropy.scoring import OutputExistsError, check_writable
    from crossentropy.scoring._report._plots import PNG_NAMES  # what --plots writes

    for flag, value in (("--report", args.report), ("--plots", args.plots)):
        if value is not None and value.strip() in {"", "-"}:
            what = "a file name" if flag == "--report" else "a directory name"
            msg = f"{flag} needs {what}, got {value!r} (standard output is not supported)"
            raise UsageError(msg)
    if (
        args.report is not None
        and args.plots is not None
        and Path(args.report).resolve() == Path(args.plots).resolve()
    ):
        msg = f"--report and --plots both name {args.report}: give the figures their own folder"
        raise UsageError(msg)
    try:
        if args.report is not None:
            check_writable(args.report, force=args.force, what="--report")
        if args.plots is not None:
            directory = Path(args.plots)
            if directory.exists() and not directory.is_dir():
                msg = f"--plots {directory} exists and is not a directory"
                raise UsageError(msg)
            for name in PNG_NAMES:
                if (directory / name).exists() and not args.force:
                    msg = f"--plots {directory / name} already exists; pass --force to replace it"
                    raise UsageError(msg)
    except (OutputExistsError, FileNotFoundError, IsADirectoryError) as exc:
        raise UsageError(str(exc)) from None


def _paths(args: argparse.Namespace) -> list[str]:
    if args.example:
        from importlib.resources import files

        return [str(files("crossentropy") / "data" / EXAMPLES[args.example])]
    return list(args.paths)


# ----------------------------------------------------------------------------- running


def _score(args: argparse.Namespace) -> int:
    _check_args(args)
    _check_outputs(args)
    from crossentropy import scoring  # keep `--help` free of NumPy

    spec = scoring.ColumnSpec(
        label=args.label,
        probs=args.probs,
        logits=args.logits,
        prob=args.prob,
        logit=args.logit,
        weight=args.weight,
        classes=tuple(name.strip() for name in args.classes.split(",")) if args.classes else None,
    )
    options: dict[str, Any] = {
        "n_bins": args.bins,
        "top_k": _top_k(args.top_k),
        "worst": args.worst,
        "bootstrap": args.bootstrap,
        "seed": args.seed,
        "on_invalid": args.on_invalid,
        "sum_tolerance": args.sum_tolerance,
        "eps": args.eps,
    }
    try:
        plan = scoring.plan_dataset(
            _paths(args), columns=spec, file_format=args.file_format, has_header=args.has_header
        )
        if args.example and not args.json:
            print(f"Scoring the bundled example {plan.sources[0].path}", file=sys.stderr)
        result = _run(args, scoring, plan, options)
    except BrokenPipeError:  # the reader of stdout left: main stops quietly
        raise
    except scoring.InvalidRowError as exc:  # the API's advice, in the command line's words
        msg = (
            f"cannot score {exc.row.describe()}; pass --on-invalid skip to leave invalid rows "
            "out (counted) or --on-invalid clip to repair what can be repaired"
        )
        raise UsageError(msg) from None
    except (ValueError, OSError, ImportError) as exc:  # OSError: not found, permission, ...
        raise UsageError(str(exc)) from None
    if args.example:
        result = _renamed(result, f"{EXAMPLES[args.example]} (bundled example)")
    verdict = scoring.verdict(result)
    _emit(args, scoring, result, verdict)
    if result.n_rows == 0:  # the report (or JSON) is shown, but nothing was judged
        skipped = result.invalid.n_skipped
        why = f"all {skipped} rows were invalid and skipped" if skipped else "no data rows"
        msg = f"no rows were scored: {', '.join(result.sources)} held {why}"
        raise UsageError(msg)
    return 0


def _renamed(result: ScoreResult, name: str) -> ScoreResult:
    """The result with its one source shown as ``name`` (not this machine's install path)."""
    import dataclasses

    worst = tuple(dataclasses.replace(row, source=name) for row in result.worst_rows)
    examples = tuple(dataclasses.replace(row, source=name) for row in result.invalid.examples)
    invalid = dataclasses.replace(result.invalid, examples=examples)
    return dataclasses.replace(result, sources=(name,), worst_rows=worst, invalid=invalid)


def _run(args: argparse.Namespace, scoring: Any, plan: Any, options: dict[str, Any]) -> Any:
    parallel = args.dask or ("local" if args.workers is not None else None)
    with contextlib.ExitStack() as stack:
        client = (
            stack.enter_context(dask_client(parallel, workers=args.workers)) if parallel else None
        )
        progress = stack.enter_context(
            Progress("scoring rows", total=plan.total_rows, enabled=not args.quiet)
        )
        return scoring.score_dataset(
            plan,
            batch_rows=args.batch_rows,
            client=client,
            progress=(lambda rows, _source: progress.advance(rows)) if progress.enabled else None,
            level=args.level,
            **options,
        )


def _emit(args: argparse.Namespace, scoring: Any, result: ScoreResult, verdict: Verdict) -> None:
    written: list[str] = []
    try:
        if args.report:
            written.append(str(scoring.write_html(result, verdict, args.report, force=args.force)))
        if args.plots:
            written += [str(p) for p in scoring.write_pngs(result, args.plots, force=args.force)]
    except (FileExistsError, FileNotFoundError, IsADirectoryError) as exc:
        raise UsageError(str(exc)) from None
    unit = "bits" if args.bits else "nats"
    if args.json:
        payload = scoring.result_to_dict(result)
        payload["written"] = written
        print_json(payload)
        return
    try:
        import rich  # noqa: F401 - the rich extra
    except ImportError:
        print(scoring.plain_text(result, verdict, unit=unit))
    else:
        scoring.render_text(result, verdict, detected=result.options.get("columns"), unit=unit)
    for path in written:
        print(f"wrote {path}")
