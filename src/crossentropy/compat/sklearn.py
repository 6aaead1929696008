"""scikit-learn's log loss and D² log-loss score, on any array library.

:func:`log_loss` and :func:`d2_log_loss_score` have the signatures of their
``sklearn.metrics`` namesakes in scikit-learn 1.9 (``y_proba``, with the deprecated
``y_pred`` keyword) and return the same Python ``float``. scikit-learn's conventions,
where they differ from :mod:`crossentropy.losses`:

* ``y_proba`` is clipped to ``[eps, 1 - eps]`` with ``eps`` the machine epsilon of its
  dtype (``2.2e-16`` for float64), so a probability of 0 on the true class costs
  ``-log(eps)`` (about 36.04 nats) rather than ``inf``;
* rows of ``y_proba`` that do not sum to one (relative tolerance ``sqrt(eps)``, absolute
  ``1e-8``) are *used as given* with a ``UserWarning``, not renormalised or rejected;
* a 1-D ``y_proba`` is the probability of the positive (second, sorted) class;
* ``y_true`` holds labels of any kind (strings, integers, booleans); the columns of
  ``y_proba`` follow the *sorted* labels, taken from ``labels`` or inferred from
  ``y_true``; a 2-D 0/1 ``y_true`` is used as an indicator matrix;
* the result is the sample-weighted mean (``normalize=True``) or the weighted sum.

scikit-learn is not imported. The errors scikit-learn raises are raised here too, as
``ValueError`` with messages that say what was expected and what was found.

Examples
--------
>>> from crossentropy.compat.sklearn import log_loss
>>> round(log_loss(["spam", "ham", "ham", "spam"],
...                [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]]), 6)
0.216162
"""

from crossentropy.compat._sklearn import (
    UndefinedMetricWarning,
    d2_log_loss_score,
    log_loss,
)

__all__ = [
    "UndefinedMetricWarning",
    "d2_log_loss_score",
    "log_loss",
]
