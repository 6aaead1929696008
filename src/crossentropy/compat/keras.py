"""Keras 3's cross-entropy losses, on any array library.

The per-sample functions have the signatures of their ``keras.losses`` namesakes
(note Keras' argument order ``(y_true, y_pred)``) and return one loss per sample; the
classes (:class:`CategoricalCrossentropy`, ...) mirror the ``keras.losses.Loss``
objects, whose call ``loss(y_true, y_pred, sample_weight=None)`` applies Keras'
reduction. Mirrors Keras 3.15, following its PyTorch backend's operations (other
backends agree to rounding). Keras' conventions, where they differ from
:mod:`crossentropy.losses`:

* probabilities are renormalised (``y_pred / sum(y_pred)``) and clipped to
  ``[1e-7, 1 - 1e-7]`` before the log (``epsilon = 1e-7``, Keras' default
  ``keras.config.epsilon()``); binary probabilities are clipped the same way;
* :func:`binary_crossentropy` and :func:`binary_focal_crossentropy` average over the
  last axis, and binary label smoothing moves targets toward 0.5;
* the default reduction ``"sum_over_batch_size"`` divides the weighted sum by the
  number of loss elements (not by the sum of the weights), and ``ignore_class`` masks
  items out of that count; when every item is ignored the loss is ``0``, not ``nan``.

Differences from Keras: the computation runs in ``y_pred``'s floating dtype (a
float64 input is computed in float64 throughout; Python lists and integers in float64),
which is what Keras computes with ``floatx="float64"`` when 64-bit results are kept
(its TensorFlow backend's promotion rule; the tests check that setup). With its default
``floatx="float32"``, Keras casts inputs to float32; and on its JAX and PyTorch
backends it computes some steps of a float64 input in float32 (64-bit results are
demoted to 32 bits in ``ops.mean`` and ``ops.divide_no_nan``, and PyTorch's
``ops.clip`` uses float32 bounds), which agrees with this mirror to about 1e-7. Pass
``dtype="float32"`` to a class to compute as Keras does by default; in float32 the
results agree to a few float32 ulps.

Invalid inputs raise ``ValueError`` / ``TypeError`` naming the argument where Keras
raises backend errors (or, for non-integer sparse labels, silently truncates).

Examples
--------
>>> import numpy as np
>>> from crossentropy.compat import keras
>>> y_true = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
>>> y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]])
>>> keras.categorical_crossentropy(y_true, y_pred).round(4).tolist()
[0.0513, 2.3026]
>>> round(float(keras.CategoricalCrossentropy()(y_true, y_pred)), 4)
1.1769
"""

from crossentropy.compat._keras import (
    binary_crossentropy,
    categorical_crossentropy,
    kl_divergence,
    sparse_categorical_crossentropy,
)
from crossentropy.compat._keras_common import EPSILON
from crossentropy.compat._keras_focal import (
    binary_focal_crossentropy,
    categorical_focal_crossentropy,
)
from crossentropy.compat._keras_loss import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    KLDivergence,
    Loss,
    SparseCategoricalCrossentropy,
    reduce_weighted_values,
)

__all__ = [
    "EPSILON",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "KLDivergence",
    "Loss",
    "SparseCategoricalCrossentropy",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "kl_divergence",
    "reduce_weighted_values",
    "sparse_categorical_crossentropy",
]
