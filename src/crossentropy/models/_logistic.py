"""Binary logistic regression in plain NumPy: a sigmoid of a linear score."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from crossentropy.models._base import BaseClassifier, Params

if TYPE_CHECKING:
    from crossentropy.models._optimizers import Optimizer

__all__ = ["LogisticRegression"]


class LogisticRegression(BaseClassifier):
    r"""Binary logistic regression: :math:`P(y = 1 \mid x) = \sigma(x w + b)`.

    One logit per row, :math:`z = x w + b`, and the probability of the second class of
    ``classes_`` is :math:`\sigma(z) = 1 / (1 + e^{-z})`. With ``loss="cross_entropy"``
    training minimises the binary cross-entropy
    :math:`-[y \log \sigma(z) + (1 - y) \log(1 - \sigma(z))]`
    (``binary_cross_entropy_with_logits`` of :mod:`crossentropy.losses`), whose gradient
    is :math:`\sigma(z) - y`; with ``loss="squared"`` the Brier score
    :math:`(\sigma(z) - y)^2`, whose gradient :math:`2 (\sigma - y) \sigma (1 - \sigma)`
    vanishes on confident mistakes. ``y`` must hold exactly two classes.

    Parameters
    ----------
    loss, optimizer, learning_rate, epochs, batch_size, l2, early_stopping, \
validation_fraction, patience, tol, rng
        As in :class:`SoftmaxRegression`.

    Attributes
    ----------
    classes_ : ndarray, shape (2,)
        The sorted labels; the model predicts the probability of ``classes_[1]``.
    coef_ : ndarray, shape (1, F)
        :math:`w^\top`.
    intercept_ : ndarray, shape (1,)
        :math:`b`.
    n_features_in_, n_iter_, history_
        As in :class:`SoftmaxRegression`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> model = LogisticRegression(learning_rate=0.1, epochs=200).fit(X, ["no", "no", "yes", "yes"])
    >>> model.predict([[-3.0], [3.0]]).tolist()
    ['no', 'yes']
    >>> model.predict_proba([[0.0]]).round(2).tolist()  # symmetric data: 50/50 at x = 0
    [[0.5, 0.5]]
    """

    _binary: ClassVar[bool] = True

    def __init__(
        self,
        *,
        loss: str = "cross_entropy",
        optimizer: str | Optimizer = "adam",
        learning_rate: float = 0.01,
        epochs: int = 500,
        batch_size: int | None = None,
        l2: float = 0.0,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        patience: int = 10,
        tol: float | None = None,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.l2 = l2
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.tol = tol
        self.rng = rng

    coef_: np.ndarray
    intercept_: np.ndarray

    def _init_params(
        self,
        rng: np.random.Generator,  # noqa: ARG002 - the problem is convex: start at zero
        n_features: int,
        n_outputs: int,
    ) -> Params:
        return [np.zeros((n_features, n_outputs)), np.zeros(n_outputs)]  # w (F, 1), b (1,)

    def _logits(self, params: Params, X: np.ndarray) -> np.ndarray:
        w, b = params
        return (X @ w + b)[:, 0]  # z_i = x_i w + b: one log-odds per row, (n,)

    def _forward_backward(
        self, params: Params, X: np.ndarray, y: np.ndarray, *, with_grad: bool = True
    ) -> tuple[float, Params]:
        logits = self._logits(params, X)
        value, d_logits = self._head(logits, y, with_grad=with_grad)
        if d_logits is None:
            return value, []
        # z = X w + b  =>  dL/dw = X^T dL/dz (F, 1),  dL/db = sum_i dL/dz_i (1,).
        return value, [X.T @ d_logits[:, None], d_logits.sum(keepdims=True)]

    def _set_fitted_attributes(self) -> None:
        w, b = self.params_
        self.coef_ = w.T.copy()
        self.intercept_ = b.copy()
