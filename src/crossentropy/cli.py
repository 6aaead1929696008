"""The ``crossentropy`` command line.

A thin layer over the library: argument parsing here, numbers in the library. Every
command imports what it needs inside its handler, so ``crossentropy --help`` starts
without importing NumPy. Errors in the input are reported on stderr with exit status 2;
``--json`` prints machine-readable output (and nothing else) on stdout.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from crossentropy._cli_common import UsageError, json_number, parse_distribution
from crossentropy._version import __version__

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = ["main"]

_BASE_NAMES = {
    "e": "nats",
    "nats": "nats",
    "nat": "nats",
    "2": "bits",
    "bits": "bits",
    "bit": "bits",
    "10": "dits",
    "dits": "dits",
    "dit": "dits",
}


def _parse_base(text: str) -> str | float:
    key = text.strip().lower()
    if key in _BASE_NAMES:
        return _BASE_NAMES[key]
    try:
        value = float(Fraction(key))
    except (ValueError, ZeroDivisionError):
        msg = f"--base must be nats, bits, dits or a positive number, got {text!r}"
        raise UsageError(msg) from None
    if not (value > 0 and value != 1 and math.isfinite(value)):
        msg = f"--base must be a positive number other than 1, got {text!r}"
        raise UsageError(msg)
    return value


def _unit(base: str | float) -> str:
    return base if isinstance(base, str) else f"base-{base:g} units"


def _fmt(value: float) -> str:
    return f"{value:.4f}" if math.isfinite(value) else str(value)


def _compute(args: argparse.Namespace) -> int:
    from crossentropy import info  # keep `--help` free of NumPy

    p = parse_distribution(args.p, "p")
    q = parse_distribution(args.q, "q") if args.q is not None else None
    base = _parse_base(args.base)
    if q is not None and len(p) != len(q):
        msg = f"--p and --q must have the same length, got {len(p)} and {len(q)}"
        raise UsageError(msg)
    opts: dict[str, Any] = {"base": base, "normalize": args.normalize}
    # Check each distribution on its own first, so an error names the flag it came from.
    entropies = {"p": _entropy_of(info, p, "--p", opts)}
    if q is not None:
        entropies["q"] = _entropy_of(info, q, "--q", opts)
    rows: list[tuple[str, str, float]] = [("entropy_p", "entropy H(p)", entropies["p"])]
    if q is not None:
        rows += [
            ("entropy_q", "entropy H(q)", entropies["q"]),
            ("cross_entropy_p_q", "cross-entropy H(p, q)", float(info.cross_entropy(p, q, **opts))),
            ("cross_entropy_q_p", "cross-entropy H(q, p)", float(info.cross_entropy(q, p, **opts))),
            (
                "kl_divergence_p_q",
                "KL divergence KL(p || q)",
                float(info.kl_divergence(p, q, **opts)),
            ),
            (
                "kl_divergence_q_p",
                "KL divergence KL(q || p)",
                float(info.kl_divergence(q, p, **opts)),
            ),
            ("js_divergence", "Jensen-Shannon divergence", float(info.js_divergence(p, q, **opts))),
            ("js_distance", "Jensen-Shannon distance", float(info.js_distance(p, q, **opts))),
        ]
    rows.append(("perplexity_p", "perplexity exp H(p)", float(info.perplexity(p, **_nb(opts)))))
    if q is not None:
        rows.append(
            ("perplexity_p_q", "perplexity exp H(p, q)", float(info.perplexity(p, q, **_nb(opts))))
        )
    if args.json:
        payload: dict[str, Any] = {"unit": _unit(base), "p": p, "q": q}
        payload.update({key: json_number(value) for key, _, value in rows})
        print(json.dumps(payload, indent=2))
        return 0
    print(f"p = ({', '.join(f'{v:g}' for v in p)})")
    if q is not None:
        print(f"q = ({', '.join(f'{v:g}' for v in q)})")
    print(f"unit: {_unit(base)} (perplexities are unitless)")
    width = max(len(label) for _, label, _ in rows)
    for _, label, value in rows:
        print(f"  {label:<{width}}  {_fmt(value):>10}")
    if q is not None:
        print("H(p, q) = -sum p log q: p is the true distribution, q the model's prediction.")
    return 0


def _entropy_of(info: Any, values: list[float], flag: str, opts: dict[str, Any]) -> float:
    """H(values), with a validation error re-worded to name the command-line ``flag``."""
    try:
        return float(info.entropy(values, **opts))
    except ValueError as exc:
        raise UsageError(re.sub(r"^p\b", flag, str(exc))) from None


def _nb(opts: dict[str, Any]) -> dict[str, Any]:
    """Options without ``base`` (perplexity does not depend on the unit)."""
    return {k: v for k, v in opts.items() if k != "base"}


def _examples(args: argparse.Namespace) -> int:
    from crossentropy import examples as ex
    from crossentropy import info  # keep `--help` free of NumPy

    # The library computes; ex.*.loss (plain math.log) is the tests' independent oracle.
    animals = [
        float(info.cross_entropy(row.target_distribution, row.prediction))
        for row in ex.CAT_DOG_HORSE
    ]
    iris = [float(info.information(row.probability)) for row in ex.IRIS_ROWS]
    out: dict[str, Any] = {}
    if args.name in ("cat-dog-horse", "all"):
        out["cat-dog-horse"] = [
            {
                "target": row.name,
                "prediction": list(row.prediction),
                "loss": loss,
                "printed": row.printed,
            }
            for row, loss in zip(ex.CAT_DOG_HORSE, animals, strict=True)
        ]
    if args.name in ("iris", "all"):
        out["iris"] = {
            "rows": [
                {
                    "row": row.name,
                    "true_class_probability": row.probability,
                    "loss": loss,
                    "printed": row.printed,
                }
                for row, loss in zip(ex.IRIS_ROWS, iris, strict=True)
            ],
            "total": math.fsum(iris),
            "printed_total": ex.IRIS_PRINTED_TOTAL,
        }
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    if "cat-dog-horse" in out:
        print("Cat / dog / horse: loss = -ln(probability given to the true class), in nats")
        for row, loss in zip(ex.CAT_DOG_HORSE, animals, strict=True):
            probs = ", ".join(f"{v:g}" for v in row.prediction)
            print(
                f"  target {row.name:<5}  prediction ({probs})  loss {loss:.4f}"
                f"  (tutorial: {row.printed:.2f})"
            )
    if "iris" in out:
        print("Iris: loss = -ln(probability given to the true species), in nats")
        for iris_row, loss in zip(ex.IRIS_ROWS, iris, strict=True):
            print(
                f"  {iris_row.name}  -ln {iris_row.probability:.2f} = {loss:.4f}"
                f"  (tutorial: {iris_row.printed:.2f})"
            )
        total = math.fsum(iris)
        print(
            f"  total  {total:.4f} (rounds to {total:.2f}); the tutorial prints "
            f"{ex.IRIS_PRINTED_TOTAL:.2f}, the sum of its rounded terms"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="crossentropy",
        description=(
            "Information measures, cross-entropy and the cross-entropy method, correctly and fast."
        ),
        epilog="Run 'crossentropy COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"crossentropy {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    compute = commands.add_parser(
        "compute",
        help="information measures of distributions given on the command line",
        description=(
            "Print entropy, cross-entropy (both directions), KL and Jensen-Shannon "
            "divergences and perplexity of the distributions P and Q. "
            "H(p, q) = -sum p log q treats p as the truth and q as the model."
        ),
    )
    compute.add_argument(
        "--p",
        required=True,
        metavar="P",
        help="comma-separated probabilities, e.g. 0.4,0.4,0.2 (1/3 allowed)",
    )
    compute.add_argument("--q", metavar="Q", help="a second distribution of the same length")
    compute.add_argument(
        "--base", default="nats", help="unit: nats (default), bits, dits, or a positive number"
    )
    compute.add_argument(
        "--normalize",
        action="store_true",
        help="divide each distribution by its sum instead of rejecting it",
    )
    compute.add_argument(
        "--json",
        action="store_true",
        help='machine-readable output on stdout (infinities as "inf")',
    )
    compute.set_defaults(handler=_compute)

    examples = commands.add_parser(
        "examples",
        help="the worked examples from the tutorials, computed exactly",
        description="Reproduce the cat/dog/horse and iris worked examples exactly.",
    )
    examples.add_argument(
        "name", nargs="?", default="all", choices=["all", "cat-dog-horse", "iris"]
    )
    examples.add_argument("--json", action="store_true", help="machine-readable output")
    examples.set_defaults(handler=_examples)

    from crossentropy._cli_cem import add_cem_parser

    add_cem_parser(commands)
    from crossentropy._cli_bench import add_bench_parser

    add_bench_parser(commands)
    from crossentropy._cli_score import add_score_parser

    add_score_parser(commands)
    from crossentropy._cli_tour import add_tour_parser

    add_tour_parser(commands)
    from crossentropy._cli_experiment import add_experiment_parser

    add_experiment_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args)
    except UsageError as exc:
        prefix = getattr(args, "error_prefix", None) or f"crossentropy {args.command}"
        print(f"{prefix}: error: {exc}", file=sys.stderr)
        return 2
