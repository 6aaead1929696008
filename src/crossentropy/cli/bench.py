"""``crossentropy bench``: the fused kernels against their peers, each case in a fresh process.

Parsing and output here; the engine is :mod:`crossentropy.bench` (NumPy-free itself;
only the case subprocesses import the array libraries), imported inside the handler so
that ``crossentropy bench --help`` starts without it. Progress goes to stderr; the
tables to stdout, or to stderr with ``--json`` (then stdout holds the JSON document and
nothing else). ``--out FILE`` writes the JSON atomically and refuses to replace an
existing file without ``--force``. The exit status is 1 when a case failed (the others
are still reported), 2 for a usage error.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crossentropy._json import dumps
from crossentropy.cli._common import UsageError

if TYPE_CHECKING:
    import argparse

    from crossentropy.bench import CaseResult, CaseSpec

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["add_parser"]

# Kept in step with crossentropy.bench._spec (not imported here: --help stays light).
_PEERS = ("torch", "jax", "numpy", "scipy", "sklearn")
_OURS = ("kernels", "losses", "torch", "compat")
_MODES = ("forward", "forward+backward")


def add_parser(commands: Subparsers, summary: str) -> None:
    """Add ``bench`` to the ``crossentropy`` parser's ``commands``."""
    bench = commands.add_parser(
        "bench",
        help=summary,
        description=(
            "Time the fused softmax cross-entropy kernels (forward, forward+backward), "
            "the probability-input loss and linear cross-entropy against PyTorch "
            "F.cross_entropy, optax under jax.jit, naive NumPy, SciPy log_softmax and "
            "scikit-learn log_loss (each when installed). Each case runs in a fresh "
            "process: warm-up, then the median of --repeat runs, the extra peak memory of "
            "those runs, and the loss value; ratios are peer median / ours median from "
            "the same run ('x faster than'). Default: a quick suite, 8192x32000 both "
            "modes plus 1000000x10 probabilities (a few minutes)."
        ),
        epilog=(
            "Examples: crossentropy bench; crossentropy bench --shapes 8192x32000,"
            "4096x128256 --peers torch,jax; crossentropy bench --full --linear-repeat 3 "
            "--out results.json. Exit status: 0, or 1 when a case failed (the others are "
            "still reported), 2 for a usage error."
        ),
    )
    what = bench.add_argument_group("what to measure")
    what.add_argument(
        "--full",
        action="store_true",
        help="the whole suite: 65536x1000, 8192x32000, 4096x128256, probabilities and "
        "linear cross-entropy 4096x1024x128256 (about half an hour or more)",
    )
    what.add_argument(
        "--shapes",
        metavar="NxC[,NxC...]",
        help="logits shapes (default 8192x32000; with --full the three above; 'none' "
        "for no softmax cases)",
    )
    what.add_argument(
        "--modes",
        metavar="MODES",
        help=f"comma-separated, of {', '.join(_MODES)} (default both)",
    )
    what.add_argument(
        "--peers",
        metavar="NAMES",
        help=f"comma-separated, of {','.join(_PEERS)} (default all; those not installed "
        "are skipped)",
    )
    what.add_argument(
        "--ours",
        metavar="NAMES",
        help=f"our entry points, comma-separated, of {','.join(_OURS)} (default all)",
    )
    what.add_argument(
        "--prob-shape",
        metavar="NxC",
        default="1000000x10",
        help="probability-input case shape (default 1000000x10)",
    )
    what.add_argument(
        "--no-probabilities", action="store_true", help="leave out the probability case"
    )
    linear = what.add_mutually_exclusive_group()
    linear.add_argument(
        "--linear", action="store_true", help="add linear cross-entropy (part of --full)"
    )
    linear.add_argument(
        "--no-linear", action="store_true", help="leave linear cross-entropy out of --full"
    )
    what.add_argument(
        "--linear-shape",
        metavar="NxHxV",
        default="4096x1024x128256",
        help="tokens x hidden x vocabulary (default 4096x1024x128256; N is halved until "
        "naive torch fits in memory)",
    )
    what.add_argument(
        "--no-bandwidth",
        action="store_true",
        help="do not measure the read bandwidth (no %% of read limit column)",
    )
    how = bench.add_argument_group("how")
    how.add_argument(
        "--repeat", type=int, default=5, metavar="N", help="timed runs per case (default 5)"
    )
    how.add_argument(
        "--linear-repeat",
        type=int,
        metavar="N",
        help="timed runs of the linear cases (default --repeat; one naive run is ~20 s)",
    )
    how.add_argument(
        "--warmup", type=int, default=1, metavar="N", help="untimed runs first (default 1)"
    )
    how.add_argument(
        "--threads", type=int, default=2, metavar="N", help="threads per case (default 2)"
    )
    how.add_argument("--seed", type=int, default=0, help="seed of the inputs (default 0)")
    how.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        metavar="S",
        help="abandon a case after S seconds (default 3600)",
    )
    output = bench.add_argument_group("output")
    output.add_argument(
        "--json",
        action="store_true",
        help="print the results as JSON on stdout and nothing else (tables go to stderr)",
    )
    output.add_argument("--out", metavar="FILE", help="also write the JSON to FILE (atomically)")
    output.add_argument("--force", action="store_true", help="let --out replace an existing file")
    output.add_argument("--plain", action="store_true", help="plain-text tables, even with rich")
    output.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    bench.set_defaults(handler=_bench)


# ----------------------------------------------------------------------------- parsing


def _shape(text: str, flag: str, dims: int) -> tuple[int, ...]:
    parts = text.strip().lower().split("x")
    example = "x".join(["8192", "32000", "128256"][:dims]) if dims < 3 else "4096x1024x128256"
    try:
        shape = tuple(int(part.replace("_", "")) for part in parts)
    except ValueError:
        shape = ()
    if len(shape) != dims or any(n < 1 for n in shape):
        msg = f"{flag} needs {dims} positive integers joined by 'x' (e.g. {example}), got {text!r}"
        raise UsageError(msg)
    return shape


def _names(text: str | None, flag: str, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        msg = f"{flag} takes names among {','.join(allowed)}, got {text!r}"
        raise UsageError(msg)
    return names


def _config_options(args: argparse.Namespace) -> dict[str, Any]:
    for flag, value, least in (
        ("--repeat", args.repeat, 1),
        ("--warmup", args.warmup, 0),
        ("--threads", args.threads, 1),
        ("--linear-repeat", args.linear_repeat, 1),
    ):
        if value is not None and value < least:
            msg = f"{flag} must be at least {least}, got {value}"
            raise UsageError(msg)
    if not args.timeout > 0:
        msg = f"--timeout must be positive, got {args.timeout}"
        raise UsageError(msg)
    options: dict[str, Any] = {
        "repeat": args.repeat,
        "warmup": args.warmup,
        "linear_repeat": args.linear_repeat,
        "threads": args.threads,
        "seed": args.seed,
        "bandwidth": not args.no_bandwidth,
        "timeout": args.timeout,
        "probabilities": (
            None if args.no_probabilities else _shape(args.prob_shape, "--prob-shape", 2)
        ),
    }
    if args.shapes is not None and args.shapes.strip().lower() == "none":
        options["shapes"] = ()
    elif args.shapes is not None:
        options["shapes"] = tuple(
            _shape(item, "--shapes", 2) for item in args.shapes.split(",") if item.strip()
        )
        if not options["shapes"]:
            msg = f"--shapes needs at least one NxC shape, got {args.shapes!r}"
            raise UsageError(msg)
    for name, flag, allowed in (
        ("modes", "--modes", _MODES),
        ("peers", "--peers", _PEERS),
        ("ours", "--ours", _OURS),
    ):
        names = _names(getattr(args, name), flag, allowed)
        if names is not None:
            options[name] = names
    linear = _shape(args.linear_shape, "--linear-shape", 3)
    if args.linear or (args.full and not args.no_linear):
        options["linear"] = linear
    elif args.no_linear:
        options["linear"] = None
    return options


def _check_out(path: str | None, force: bool) -> Path | None:
    if path is None:
        return None
    out = Path(path)
    if out.is_dir():
        msg = f"--out {path} is a directory"
        raise UsageError(msg)
    if out.exists() and not force:
        msg = f"--out {path} exists; pass --force to replace it"
        raise UsageError(msg)
    if not out.resolve().parent.is_dir():
        msg = f"--out {path}: the directory {out.resolve().parent} does not exist"
        raise UsageError(msg)
    return out


# ----------------------------------------------------------------------------- running


def _progress(index: int, total: int, spec: CaseSpec, result: CaseResult | None) -> None:
    from crossentropy.bench._render import format_bytes
    from crossentropy.bench._runner import describe

    if result is None:
        print(f"[{index:>{len(str(total))}}/{total}] {describe(spec)} ...", end="", file=sys.stderr)
    elif result.ok:
        extra = format_bytes(result.extra_peak_bytes)
        print(f" {result.median:.4g} s, extra peak {extra}", file=sys.stderr)
    else:
        print(f" {result.status}: {result.reason}", file=sys.stderr)
    sys.stderr.flush()


def _bench(args: argparse.Namespace) -> int:
    options = _config_options(args)
    out = _check_out(args.out, args.force)
    from crossentropy.bench import SuiteConfig, print_tables, run_suite

    try:
        config = SuiteConfig.full(**options) if args.full else SuiteConfig.quick(**options)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    result = run_suite(config, progress=None if args.quiet else _progress)
    text = dumps(result.to_dict())
    if out is not None:
        from crossentropy._atomic import OutputExistsError, write_atomically

        try:
            write_atomically(out, text + "\n", force=args.force, what="--out")
        except OutputExistsError as exc:  # appeared during the run; the results are kept
            raise UsageError(str(exc)) from None
    if args.json:
        print(text)
    print_tables(
        result, sys.stderr if args.json else sys.stdout, use_rich=False if args.plain else None
    )
    return 1 if any(case.status == "error" for case in result.cases) else 0
