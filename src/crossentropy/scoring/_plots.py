"""Kept only for :mod:`crossentropy.cli.score`, which imports ``PNG_NAMES`` from here.

The figures live in :mod:`crossentropy.scoring._report._plots`. The command line is
being changed by another piece of work at the same time; when it imports ``PNG_NAMES``
from ``crossentropy.scoring._report._plots`` (or ``crossentropy.scoring``), delete this
module.
"""

from crossentropy.scoring._report._plots import PNG_NAMES

__all__ = ["PNG_NAMES"]
