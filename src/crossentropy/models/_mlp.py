"""A multi-layer perceptron with a softmax output, forward and backward written out."""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from crossentropy.losses import softmax
from crossentropy.models._base import BaseClassifier, Params

if TYPE_CHECKING:
    from crossentropy.models._optimizers import Optimizer

__all__ = ["MLPClassifier", "MLPForward"]

_ACTIVATIONS = ("tanh", "relu", "sigmoid")


class MLPForward(NamedTuple):
    r"""Every intermediate of a forward pass of :class:`MLPClassifier`.

    Attributes
    ----------
    hidden : tuple of ndarray
        The activations :math:`h_l`, shape (n, width of layer l), one per hidden layer.
    logits : ndarray, shape (n, K)
        The output layer's pre-softmax values :math:`z`.
    probabilities : ndarray, shape (n, K)
        :math:`\operatorname{softmax}(z)`.
    """

    hidden: tuple[np.ndarray, ...]
    logits: np.ndarray
    probabilities: np.ndarray


def _activate(name: str, a: np.ndarray) -> np.ndarray:
    if name == "tanh":
        return np.asarray(np.tanh(a))
    if name == "relu":
        return np.asarray(np.maximum(a, 0.0))
    # sigmoid written with tanh: 1 / (1 + e^-a) = (1 + tanh(a / 2)) / 2, no overflow.
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * a)))


def _activation_slope(name: str, a: np.ndarray, h: np.ndarray) -> np.ndarray:
    """dh/da at pre-activation ``a`` with activation ``h = f(a)``."""
    if name == "tanh":
        return np.asarray(1.0 - h * h)  # tanh' = 1 - tanh^2
    if name == "relu":
        return (a > 0.0).astype(a.dtype)  # 1 where a > 0, else 0 (0 at the kink)
    return np.asarray(h * (1.0 - h))  # sigmoid' = s (1 - s)


class MLPClassifier(BaseClassifier):
    r"""A fully connected network with a softmax output.

    With :math:`h_0 = x` and layers :math:`l = 1, \dots, L` (the last one the output),

    .. math::

        a_l = h_{l-1} W_l + b_l, \qquad h_l = f(a_l) \ (l < L), \qquad
        z = a_L, \qquad p = \operatorname{softmax}(z),

    where :math:`f` is ``activation``. The backward pass is the chain rule, layer by
    layer from the top, starting from :math:`\delta_L = \partial L / \partial z` (the
    loss head's gradient: :math:`(p - y)/n` for cross-entropy):

    .. math::

        \frac{\partial L}{\partial W_l} = h_{l-1}^\top \delta_l, \qquad
        \frac{\partial L}{\partial b_l} = \textstyle\sum_i \delta_{l,i}, \qquad
        \delta_{l-1} = (\delta_l W_l^\top) \odot f'(a_{l-1}).

    Weights start from Glorot's uniform distribution, :math:`U(-r, r)` with
    :math:`r = \sqrt{6 / (\text{fan-in} + \text{fan-out})}`, biases at zero.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default (16,)
        Widths of the hidden layers (``()``: softmax regression).
    activation : {"tanh", "relu", "sigmoid"}, default "tanh"
        :math:`f`.
    loss, optimizer, learning_rate, epochs, batch_size, l2, early_stopping, \
validation_fraction, patience, tol, rng
        As in :class:`SoftmaxRegression`; ``rng`` also draws the initial weights. The
        penalty covers every weight matrix, not the biases.

    Attributes
    ----------
    weights_ : list of ndarray
        :math:`W_1, \dots, W_L`, shapes (fan-in, fan-out).
    biases_ : list of ndarray
        :math:`b_1, \dots, b_L`.
    classes_, n_features_in_, n_iter_, history_
        As in :class:`SoftmaxRegression`.

    Examples
    --------
    >>> from crossentropy.models import load_iris
    >>> iris = load_iris()
    >>> model = MLPClassifier(hidden_layer_sizes=(8,), learning_rate=0.05, epochs=200, rng=0)
    >>> model.fit(iris.data, iris.target).score(iris.data, iris.target) > 0.95
    True
    >>> [h.shape for h in model.forward(iris.data).hidden]
    [(150, 8)]
    """

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (16,),
        activation: str = "tanh",
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
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
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

    weights_: list[np.ndarray]
    biases_: list[np.ndarray]

    def _check_model_params(self) -> None:
        sizes = self.hidden_layer_sizes
        if not (
            isinstance(sizes, (tuple, list))
            and all(
                isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 1
                for s in sizes
            )
        ):
            msg = f"hidden_layer_sizes must be a tuple of integers >= 1, got {sizes!r}"
            raise ValueError(msg)
        if self.activation not in _ACTIVATIONS:
            msg = f"activation must be one of {_ACTIVATIONS}, got {self.activation!r}"
            raise ValueError(msg)

    def _init_params(self, rng: np.random.Generator, n_features: int, n_outputs: int) -> Params:
        widths = [n_features, *self.hidden_layer_sizes, n_outputs]
        params: Params = []
        for fan_in, fan_out in itertools.pairwise(widths):
            bound = math.sqrt(6.0 / (fan_in + fan_out))  # Glorot & Bengio (2010)
            params += [rng.uniform(-bound, bound, (fan_in, fan_out)), np.zeros(fan_out)]
        return params

    def _forward(self, params: Params, X: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
        """The pre-activations ``a_l`` and activations ``h_l`` (``h_0 = X``), and ``z``."""
        activations = [X]
        pre_activations = []
        n_layers = len(params) // 2
        for layer in range(n_layers - 1):
            W, b = params[2 * layer], params[2 * layer + 1]
            a = activations[-1] @ W + b  # a_l = h_{l-1} W_l + b_l
            pre_activations.append(a)
            activations.append(_activate(self.activation, a))  # h_l = f(a_l)
        W, b = params[-2], params[-1]
        logits = activations[-1] @ W + b  # z = h_{L-1} W_L + b_L (no activation)
        return [*pre_activations, *activations], logits

    def _logits(self, params: Params, X: np.ndarray) -> np.ndarray:
        return self._forward(params, X)[1]

    def _forward_backward(
        self, params: Params, X: np.ndarray, y: np.ndarray, *, with_grad: bool = True
    ) -> tuple[float, Params]:
        cache, logits = self._forward(params, X)
        n_hidden = len(params) // 2 - 1
        pre_activations, activations = cache[:n_hidden], cache[n_hidden:]
        value, delta = self._head(logits, y, with_grad=with_grad)
        if delta is None:
            return value, []
        grads: Params = [np.empty(0)] * len(params)
        # delta = dL/da_l, from the top (a_L = z) down.
        for layer in range(n_hidden, -1, -1):
            W = params[2 * layer]
            h_below = activations[layer]  # h_{l-1} (X for the first layer)
            grads[2 * layer] = h_below.T @ delta  # dL/dW_l = h_{l-1}^T delta_l
            grads[2 * layer + 1] = delta.sum(axis=0)  # dL/db_l = sum over rows of delta_l
            if layer > 0:
                # delta_{l-1} = (delta_l W_l^T) * f'(a_{l-1})
                slope = _activation_slope(self.activation, pre_activations[layer - 1], h_below)
                delta = (delta @ W.T) * slope
        return value, grads

    def _set_fitted_attributes(self) -> None:
        self.weights_ = [w.copy() for w in self.params_[0::2]]
        self.biases_ = [b.copy() for b in self.params_[1::2]]

    def forward(self, X: Any) -> MLPForward:
        """Run the fitted network on ``X`` and return every intermediate.

        Parameters
        ----------
        X : array-like, shape (n, F)

        Returns
        -------
        MLPForward
            ``hidden`` (the activation of each hidden layer), ``logits`` and
            ``probabilities`` (their softmax, as :meth:`predict_proba`).
        """
        X = self._fitted_features(X)
        cache, logits = self._forward(self.params_, X)
        n_hidden = len(self.params_) // 2 - 1
        hidden = tuple(cache[n_hidden + 1 :])
        return MLPForward(hidden, logits, np.asarray(softmax(logits)))
