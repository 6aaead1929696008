"""The tutorial rule of thumb for a cross-entropy in nats: one table for every user.

:func:`crossentropy.scoring.rule_of_thumb` reports the band beside the verdict, and the
tour shades the same bands behind its baselines figure; both read :data:`BANDS`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

__all__ = ["BANDS", "NOTE", "Band", "rule_of_thumb"]


class Band(NamedTuple):
    """One band of the scale: cross-entropies up to ``upper`` nats."""

    upper: float  #: the band's upper edge, in nats
    inclusive: bool  #: whether ``upper`` itself is in the band
    word: str  #: the short name (the tour's figure)
    label: str  #: the band as reported (the score report)


#: The bands above 0 nats, in order (0 itself is "perfect"; above the last, "broken").
BANDS: tuple[Band, ...] = (
    Band(0.02, False, "great", "< 0.02 nats: great"),
    Band(0.05, False, "right track", "< 0.05 nats: on the right track"),
    Band(0.20, False, "fine", "< 0.20 nats: fine"),
    Band(0.30, True, "in between", "0.20-0.30 nats: in between (the scale has no word for it)"),
    Band(1.00, True, "not great", "> 0.30 nats: not great"),
    Band(2.00, True, "terrible", "> 1.00 nats: terrible"),
)
_PERFECT = "0.00 nats: perfect"
_BROKEN = "> 2.00 nats: something is broken"
_NOTHING = "no value: nothing was scored"

NOTE = (
    "The rule of thumb is a tutorial scale in nats that ignores the number of classes "
    "(guessing uniformly costs ln K: 0.69 nats for 2 classes, 2.30 for 10, 6.91 for 1000, "
    "so a 1000-class model at 1.5 nats is strong) and the class balance (a 99:1 binary "
    "problem has prior entropy 0.056 nats, so 0.05 nats is barely better than always "
    "predicting the label frequencies); the verdict compares with those baselines instead."
)


def rule_of_thumb(cross_entropy_nats: float) -> tuple[str, str]:
    """The band of the tutorial scale for a cross-entropy in nats, and why it can mislead.

    Bands: 0.00 perfect; < 0.02 great; < 0.05 on the right track; < 0.20 fine;
    0.20-0.30 in between (the scale has no word for it); > 0.30 not great; > 1.00
    terrible; > 2.00 something is broken.

    Parameters
    ----------
    cross_entropy_nats : float
        The mean cross-entropy in nats (NaN: nothing scored).

    Returns
    -------
    band, note : str
        The band, e.g. ``"< 0.20 nats: fine"``, and a note on what the scale ignores.

    Examples
    --------
    >>> from crossentropy.scoring import rule_of_thumb
    >>> rule_of_thumb(0.15)[0]
    '< 0.20 nats: fine'
    >>> rule_of_thumb(0.25)[0]
    '0.20-0.30 nats: in between (the scale has no word for it)'
    >>> rule_of_thumb(float("inf"))[0]
    '> 2.00 nats: something is broken'
    """
    ce = float(cross_entropy_nats)
    if math.isnan(ce):
        return _NOTHING, NOTE
    if ce <= 0.0:
        return _PERFECT, NOTE
    for band in BANDS:
        if ce < band.upper or (band.inclusive and ce == band.upper):
            return band.label, NOTE
    return _BROKEN, NOTE
