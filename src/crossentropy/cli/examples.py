"""``crossentropy examples``: the tutorials' worked examples, computed exactly."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from crossentropy.cli._common import print_json

if TYPE_CHECKING:
    import argparse

    Subparsers = argparse._SubParsersAction[argparse.ArgumentParser]

__all__ = ["add_parser"]


def add_parser(commands: Subparsers, summary: str) -> None:
    """Register ``crossentropy examples``."""
    examples = commands.add_parser(
        "examples",
        help=summary,
        description="Reproduce the cat/dog/horse and iris worked examples exactly.",
    )
    examples.add_argument(
        "name", nargs="?", default="all", choices=["all", "cat-dog-horse", "iris"]
    )
    examples.add_argument("--json", action="store_true", help="machine-readable output")
    examples.set_defaults(handler=_examples)


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
        print_json(out)
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
