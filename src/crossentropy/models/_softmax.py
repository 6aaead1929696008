"""Multinomial (softmax) logistic regression in plain NumPy."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from crossentropy.models._base import BaseClassifier, Params

if TYPE_CHECKING:
    from crossentropy.models._optimizers import Optimizer

__all__ = ["SoftmaxRegression"]


class SoftmaxRegression(BaseClassifier):
    r"""Multinomial logistic regression: a linear map to K logits and a softmax.

    For a row :math:`x \in \mathbb{R}^F`, the logits are :math:`z = x W + b` with
    :math:`W \in \mathbb{R}^{F \times K}`, :math:`b \in \mathbb{R}^K`, and the class
    probabilities :math:`p = \operatorname{softmax}(z)`. Training minimises the mean loss
    over the training rows plus :math:`\tfrac12 \lambda \lVert W\rVert^2` (``l2`` =
    :math:`\lambda`; the intercept is not penalised) with the chosen optimiser.

    Parameters
    ----------
    loss : {"cross_entropy", "squared"}, default "cross_entropy"
        ``"cross_entropy"``: :math:`-\log p_y` (``softmax_cross_entropy`` of
        :mod:`crossentropy.losses`), convex in :math:`W, b`. ``"squared"``:
        :math:`\sum_c (p_c - [c = y])^2`, the multiclass Brier score (not convex).
    optimizer : {"sgd", "momentum", "adam"} or optimiser, default "adam"
        A name (built with ``learning_rate``) or an object with ``init`` and ``step``
        (:class:`SGD`, :class:`Momentum`, :class:`Adam`), whose own learning rate is used.
    learning_rate : float, default 0.01
        The step size of a named optimiser.
    epochs : int, default 500
        Passes over the training data (at most; see ``tol``).
    batch_size : int or None, default None
        Rows per gradient step, reshuffled every epoch; ``None``: the full batch.
    l2 : float, default 0.0
        :math:`\lambda \ge 0` of the penalty :math:`\tfrac12 \lambda \lVert W\rVert^2`,
        added to the *mean* loss (scikit-learn's ``C`` is :math:`1 / (\lambda n)`).
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the rows, stop when their loss has not
        improved by more than ``tol`` for ``patience`` epochs, keep the best parameters.
    validation_fraction : float, default 0.1
        The held-out share, in (0, 1), with ``early_stopping``.
    patience : int, default 10
        Epochs without improvement before stopping.
    tol : float or None, default None
        Stop when the monitored value (the training objective, or the validation loss
        with ``early_stopping``) has not improved by more than ``tol`` for ``patience``
        epochs. ``None``: run all ``epochs`` epochs, unless ``early_stopping`` (which
        then uses ``tol = 0``).
    rng : numpy.random.Generator, int or None, default None
        Randomness of the shuffling and the validation split: an int gives the same fit
        every time; a Generator is consumed (two fits differ).

    Attributes
    ----------
    classes_ : ndarray, shape (K,)
        The sorted class labels.
    coef_ : ndarray, shape (K, F)
        :math:`W^\top` (scikit-learn's layout).
    intercept_ : ndarray, shape (K,)
        :math:`b`.
    n_features_in_ : int
        F.
    n_iter_ : int
        Epochs run.
    params_ : list of ndarray
        ``[W, b]``, the parameters the optimiser works on.
    history_ : list of dict
        Per epoch, on the training rows after the epoch: ``"epoch"``, ``"loss"`` (the
        chosen loss), ``"objective"`` (loss + penalty), ``"cross_entropy"`` (always the
        log loss, to compare losses), ``"accuracy"``; with ``early_stopping`` also
        ``"val_loss"``, ``"val_objective"``, ``"val_cross_entropy"``, ``"val_accuracy"``.

    Examples
    --------
    >>> from crossentropy.models import load_iris
    >>> iris = load_iris()
    >>> model = SoftmaxRegression(learning_rate=0.05, epochs=300).fit(iris.data, iris.target)
    >>> model.score(iris.data, iris.target) > 0.95
    True
    >>> model.predict(iris.data[[0, 50, 100]]).tolist()  # one flower of each species
    [0, 1, 2]
    >>> round(float(model.predict_proba(iris.data[:1]).sum()), 12)
    1.0
    """

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
        return [np.zeros((n_features, n_outputs)), np.zeros(n_outputs)]

    def _logits(self, params: Params, X: np.ndarray) -> np.ndarray:
        W, b = params
        return X @ W + b  # z = x W + b, one row per sample: (n, K)

    def _forward_backward(
        self, params: Params, X: np.ndarray, y: np.ndarray, *, with_grad: bool = True
    ) -> tuple[float, Params]:
        logits = self._logits(params, X)
        value, d_logits = self._head(logits, y, with_grad=with_grad)
        if d_logits is None:
            return value, []
        # z = X W + b  =>  dL/dW = X^T dL/dz (F, K),  dL/db = sum over rows of dL/dz (K,).
        return value, [X.T @ d_logits, d_logits.sum(axis=0)]

    def _set_fitted_attributes(self) -> None:
        W, b = self.params_
        self.coef_ = W.T.copy()
        self.intercept_ = b.copy()
