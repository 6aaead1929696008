"""Functions with exactly the semantics of PyTorch, Keras and scikit-learn.

Use these to get "the number that library would give" on any array library, without
importing it: :mod:`~crossentropy.compat.torch` mirrors ``torch.nn.functional``
(PyTorch 2.13), :mod:`~crossentropy.compat.keras` mirrors ``keras.losses`` (Keras 3)
and :mod:`~crossentropy.compat.sklearn` mirrors ``sklearn.metrics.log_loss``
(scikit-learn 1.9). Each module's docstring lists where the library's conventions
differ from :mod:`crossentropy.losses` (class axis, mean denominators, clipping,
label smoothing, all-ignored batches).

Examples
--------
>>> import numpy as np
>>> from crossentropy import compat
>>> logits = np.array([[2.0, 0.5, -1.0]])
>>> probs = np.exp(logits) / np.exp(logits).sum()
>>> a = float(compat.torch.cross_entropy(logits, np.array([0])))
>>> b = float(compat.keras.sparse_categorical_crossentropy(np.array([0]), probs)[0])
>>> c = compat.sklearn.log_loss([0], probs, labels=[0, 1, 2])
>>> bool(np.isclose(a, b) and np.isclose(a, c))
True
"""

from crossentropy.compat import keras, sklearn, torch

__all__ = ["keras", "sklearn", "torch"]
