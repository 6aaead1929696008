"""What computes the statistics of ``crossentropy.scoring``: the mergeable accumulator.

From the bottom up: ``_options`` (:class:`ScoreOptions`), ``_tallies`` (the fixed-size sums
and their grids), ``_row_spec`` (what a row kernel is asked and returns), ``_rowstats``
(the NumPy row kernel, dispatching to the fused kernels of ``_numba_rowstats`` when
numba is installed), ``_inputs`` (checking what ``update`` is given), ``_state`` (an
accumulator's contents), ``_batch`` (one batch's statistics), ``_finalize`` (sums to a
:class:`~crossentropy.scoring.ScoreResult`), ``_accumulator``
(:class:`~crossentropy.scoring.ScoreAccumulator`) and ``_score`` (the one-shot
:func:`~crossentropy.scoring.score`, :func:`~crossentropy.scoring.merge_all`).
"""
