"""The worked examples people meet in cross-entropy tutorials, reproduced exactly.

Each example records its inputs, the figure the source prints and the exact value, so
the tests, the command line (``crossentropy examples``) and the docs all use one copy.

Examples
--------
>>> [round(row.loss, 2) for row in IRIS_ROWS]
[0.56, 0.54, 0.65]
>>> round(iris_total(), 4), IRIS_PRINTED_TOTAL  # the exact sum rounds to 1.76, not 1.75
(1.7608, 1.75)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "CAT_DOG_HORSE",
    "IRIS_PRINTED_TOTAL",
    "IRIS_ROWS",
    "ClassificationExample",
    "TrueClassProbability",
    "iris_total",
]


@dataclass(frozen=True)
class ClassificationExample:
    """One prediction scored against its true class: ``loss = -ln prediction[target]``."""

    name: str
    classes: tuple[str, ...]
    prediction: tuple[float, ...]
    target: int
    printed: float

    @property
    def target_distribution(self) -> tuple[float, ...]:
        """The one-hot distribution of the true class."""
        return tuple(1.0 if i == self.target else 0.0 for i in range(len(self.classes)))

    @property
    def loss(self) -> float:
        """The exact cross-entropy in nats: ``-ln prediction[target]``."""
        return -math.log(self.prediction[self.target])


_ANIMALS = ("cat", "dog", "horse")

#: Two predictions over (cat, dog, horse); the first is a dog, the second a horse.
CAT_DOG_HORSE = (
    ClassificationExample("dog", _ANIMALS, (0.4, 0.4, 0.2), 1, printed=0.92),
    ClassificationExample("horse", _ANIMALS, (0.1, 0.2, 0.7), 2, printed=0.36),
)


@dataclass(frozen=True)
class TrueClassProbability:
    """A row where only the probability given to the true class is known."""

    name: str
    probability: float
    printed: float

    @property
    def loss(self) -> float:
        """The exact cross-entropy in nats: ``-ln probability``."""
        return -math.log(self.probability)


#: Three iris rows: the model gave the true species 0.57, 0.58 and 0.52; the tutorial
#: prints the losses 0.56, 0.54 and 0.65.
IRIS_ROWS = (
    TrueClassProbability("row 1", 0.57, printed=0.56),
    TrueClassProbability("row 2", 0.58, printed=0.54),
    TrueClassProbability("row 3", 0.52, printed=0.65),
)

#: The total the source tutorial prints: the sum of the three *rounded* terms
#: (0.56 + 0.54 + 0.65). The exact sum is 1.7608, which rounds to 1.76.
IRIS_PRINTED_TOTAL = 1.75


def iris_total() -> float:
    """The exact total cross-entropy of the three iris rows, in nats (1.7608)."""
    return math.fsum(row.loss for row in IRIS_ROWS)
