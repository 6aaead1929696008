"""``crossentropy compute``: information measures of distributions given as flags."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from crossentropy.cli._common import UsageError, parse_distribution, print_json

if TYPE_CHECKING:
    import argparse

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["add_parser"]


def add_parser(commands: Subparsers, summary: str) -> None:
    """Register ``crossentropy compute``."""
    compute = commands.add_parser(
        "compute",
        help=summary,
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


def _four_decimals(value: float) -> str:
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
    rows.append(
        ("perplexity_p", "perplexity exp H(p)", float(info.perplexity(p, **_without_base(opts))))
    )
    if q is not None:
        rows.append(
            (
                "perplexity_p_q",
                "perplexity exp H(p, q)",
                float(info.perplexity(p, q, **_without_base(opts))),
            )
        )
    if args.json:
        payload: dict[str, Any] = {"unit": _unit(base), "p": p, "q": q}
        payload.update({key: value for key, _, value in rows})
        print_json(payload)
        return 0
    print(f"p = ({', '.join(f'{v:g}' for v in p)})")
    if q is not None:
        print(f"q = ({', '.join(f'{v:g}' for v in q)})")
    print(f"unit: {_unit(base)} (perplexities are unitless)")
    width = max(len(label) for _, label, _ in rows)
    for _, label, value in rows:
        print(f"  {label:<{width}}  {_four_decimals(value):>10}")
    if q is not None:
        print("H(p, q) = -sum p log q: p is the true distribution, q the model's prediction.")
    return 0


def _entropy_of(info: Any, values: list[float], flag: str, opts: dict[str, Any]) -> float:
    """H(values), with a validation error re-worded to name the command-line ``flag``."""
    try:
        return float(info.entropy(values, **opts))
    except ValueError as exc:
        raise UsageError(re.sub(r"^p\b", flag, str(exc))) from None


def _without_base(opts: dict[str, Any]) -> dict[str, Any]:
    """Options without ``base`` (perplexity does not depend on the unit)."""
    return {k: v for k, v in opts.items() if k != "base"}
