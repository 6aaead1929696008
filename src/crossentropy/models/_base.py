"""What every classifier here shares: parameters, the loss heads, the training loop.

A model is a list of parameter arrays ``[W1, b1, W2, b2, ...]`` (weights at even
positions, biases at odd ones) and a subclass that maps it to logits and back-propagates
a gradient of the logits to it (:meth:`BaseClassifier._forward_backward`). This module
holds the rest:

* the choice of *head* (:mod:`crossentropy.models._heads`: the loss of the logits and
  its gradient, cross-entropy from :mod:`crossentropy.losses` or squared error);
* the L2 penalty ``0.5 * l2 * sum ||W||^2`` over the weights (not the biases);
* the training loop: mini-batches, the optimiser, the history, stopping rules;
* scikit-learn's estimator conventions (``get_params``/``set_params``, ``fit`` returns
  ``self``, fitted attributes end in ``_``), without importing scikit-learn.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np

from crossentropy.losses import sigmoid, softmax
from crossentropy.models._heads import binary_head, multiclass_head
from crossentropy.models._optimizers import SGD, Adam, Momentum, Optimizer

#: A training loss above this means the steps are far too large: cross-entropy that
#: large needs logit gaps of 1e100. Training stops with a FloatingPointError.
DIVERGED_LOSS = 1e100

__all__ = ["BaseClassifier", "NotFittedError"]

Params = list[np.ndarray]
LossName = Literal["cross_entropy", "squared"]
_LOSSES = ("cross_entropy", "squared")
_OPTIMIZERS = ("sgd", "momentum", "adam")
_C = TypeVar("_C", bound="BaseClassifier")


class NotFittedError(ValueError, AttributeError):
    """A prediction method was called before ``fit`` (as scikit-learn's, a ValueError)."""


# --------------------------------------------------------------------------------------
# The estimator base class
# --------------------------------------------------------------------------------------


class BaseClassifier:
    """Shared machinery of the classifiers; not used directly (see the subclasses).

    Subclasses define ``__init__`` (storing its arguments and nothing else, as
    scikit-learn requires), ``_init_params`` and ``_forward_backward``.
    """

    _binary: ClassVar[bool] = False  # True: one logit and a sigmoid (LogisticRegression)
    _estimator_type: ClassVar[str] = "classifier"  # scikit-learn < 1.6 reads this

    # The common hyperparameters; subclasses set them in __init__.
    loss: str
    optimizer: str | Optimizer
    learning_rate: float
    epochs: int
    batch_size: int | None
    l2: float
    early_stopping: bool
    validation_fraction: float
    patience: int
    tol: float | None
    rng: np.random.Generator | int | None

    # Fitted state.
    classes_: np.ndarray
    n_features_in_: int
    n_iter_: int
    history_: list[dict[str, float]]
    params_: Params

    # ---- scikit-learn's parameter protocol -----------------------------------------

    @classmethod
    def _get_param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return sorted(name for name in signature.parameters if name != "self")

    def get_params(self, deep: bool = True) -> dict[str, Any]:  # noqa: ARG002
        """The constructor's arguments as a dict (scikit-learn's protocol).

        ``deep`` is accepted for scikit-learn; these estimators hold no sub-estimators.
        """
        return {name: getattr(self, name) for name in self._get_param_names()}

    def set_params(self: _C, **params: Any) -> _C:
        """Set constructor arguments by name and return ``self``.

        Raises
        ------
        ValueError
            A name that is not a parameter of this estimator.
        """
        valid = self._get_param_names()
        for name, value in params.items():
            if name not in valid:
                msg = (
                    f"invalid parameter {name!r} for {type(self).__name__}; "
                    f"valid parameters: {', '.join(valid)}"
                )
                raise ValueError(msg)
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {
            name: p.default for name, p in inspect.signature(type(self).__init__).parameters.items()
        }
        changed = [
            f"{name}={value!r}"
            for name, value in self.get_params().items()
            if not _same(value, defaults.get(name, inspect.Parameter.empty))
        ]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self) -> Any:
        """scikit-learn's estimator tags (called by scikit-learn >= 1.6 only)."""
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags

        return Tags(
            estimator_type="classifier",
            target_tags=TargetTags(required=True),
            classifier_tags=ClassifierTags(multi_class=not self._binary),
            input_tags=InputTags(),
        )

    # ---- what subclasses implement ---------------------------------------------------

    def _init_params(
        self, rng: np.random.Generator, n_features: int, n_outputs: int
    ) -> Params:  # pragma: no cover - abstract
        raise NotImplementedError

    def _forward_backward(
        self, params: Params, X: np.ndarray, y: np.ndarray, *, with_grad: bool = True
    ) -> tuple[float, Params]:  # pragma: no cover - abstract
        """Mean data loss of ``params`` on ``(X, y)`` and its gradient (no penalty)."""
        raise NotImplementedError

    def _logits(self, params: Params, X: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _check_model_params(self) -> None:
        """Validate the subclass's own hyperparameters (override when there are some)."""

    # ---- the objective ---------------------------------------------------------------

    def _head(
        self, logits: np.ndarray, y: np.ndarray, *, with_grad: bool = True
    ) -> tuple[float, np.ndarray | None]:
        head = binary_head if self._binary else multiclass_head
        return head(logits, y, self.loss, with_grad=with_grad)

    def _objective(
        self, params: Params, X: np.ndarray, y: np.ndarray, *, with_grad: bool = True
    ) -> tuple[float, Params]:
        """Mean loss plus ``0.5 * l2 * sum ||W||^2`` over the weights, and its gradient.

        ``y`` holds class indices (``0..K-1``). The penalty's gradient is ``l2 * W`` on
        each weight matrix and 0 on the biases (odd positions of ``params``).
        """
        value, grads = self._forward_backward(params, X, y, with_grad=with_grad)
        if self.l2:
            value += self._penalty(params)
            if with_grad:
                grads = [
                    g + self.l2 * p if i % 2 == 0 else g
                    for i, (p, g) in enumerate(zip(params, grads, strict=True))
                ]
        return value, grads

    def _penalty(self, params: Params) -> float:
        """``0.5 * l2 * sum ||W||^2`` over the weight matrices (even positions)."""
        if not self.l2:
            return 0.0
        return 0.5 * self.l2 * sum(float(np.sum(w * w)) for w in params[0::2])

    # ---- fitting ---------------------------------------------------------------------

    def fit(self: _C, X: Any, y: Any) -> _C:
        """Train on ``(X, y)`` and return ``self``.

        Parameters
        ----------
        X : array-like, shape (n, F)
            Finite features.
        y : array-like, shape (n,)
            Class labels (any sortable values); ``classes_`` holds them sorted.

        Returns
        -------
        self
        """
        optimizer = self._check_params()
        X = _check_features(X)
        y = _check_labels(y, X.shape[0])
        _check_class_labels(y)
        classes, y_index = np.unique(y, return_inverse=True)
        if self._binary and classes.shape[0] != 2:
            msg = (
                f"Only binary classification is supported. y must hold exactly 2 classes "
                f"for {type(self).__name__}, got {classes.shape[0]} class(es)"
            )
            raise ValueError(msg)
        if classes.shape[0] < 2:
            msg = f"y must hold at least 2 classes, got {classes.shape[0]} class(es)"
            raise ValueError(msg)
        y_index = y_index.astype(np.int64).reshape(-1)
        rng = np.random.default_rng(self.rng)
        X_train, y_train, X_val, y_val = self._split(X, y_index, rng)
        n_outputs = 1 if self._binary else classes.shape[0]
        params = self._init_params(rng, X.shape[1], n_outputs)
        state = optimizer.init(params)
        history: list[dict[str, float]] = []
        best, best_params, stale = math.inf, params, 0
        epoch = 0
        for epoch in range(1, self.epochs + 1):
            for batch in self._batches(X_train.shape[0], rng):
                _, grads = self._objective(params, X_train[batch], y_train[batch])
                params, state = optimizer.step(params, grads, state)
                if not all(np.all(np.isfinite(p)) for p in params):
                    msg = (
                        f"training diverged at epoch {epoch}: a parameter is not finite; "
                        "lower learning_rate"
                    )
                    raise FloatingPointError(msg)
            record = {"epoch": float(epoch), **self._evaluate(params, X_train, y_train, "")}
            if X_val is not None and y_val is not None:
                record.update(self._evaluate(params, X_val, y_val, "val_"))
            history.append(record)
            # Stop when the monitored value (validation loss with early stopping, else the
            # training objective) has not improved by more than tol for `patience` epochs.
            monitored = record["val_loss"] if self.early_stopping else record["objective"]
            # A loss is exact even at 1e307 (the means are scaled before summing), so
            # divergence is a loss past DIVERGED_LOSS, not only one that overflowed.
            if not math.isfinite(monitored) or monitored > DIVERGED_LOSS:
                msg = f"training diverged at epoch {epoch} (loss {monitored}); lower learning_rate"
                raise FloatingPointError(msg)
            tol = 0.0 if self.tol is None else self.tol
            if monitored < best - tol:
                best, best_params, stale = monitored, params, 0
            else:
                stale += 1
                if stale >= self.patience and (self.early_stopping or self.tol is not None):
                    break
        self.params_ = best_params if self.early_stopping else params
        self.classes_ = classes
        self.n_features_in_ = X.shape[1]
        self.n_iter_ = epoch
        self.history_ = history
        self._set_fitted_attributes()
        return self

    def _set_fitted_attributes(self) -> None:
        """Expose ``params_`` under the subclass's names (``coef_``, ``weights_``, ...)."""

    def _evaluate(
        self, params: Params, X: np.ndarray, y: np.ndarray, prefix: str
    ) -> dict[str, float]:
        logits = self._logits(params, X)
        loss, _ = self._head(logits, y, with_grad=False)
        cross_entropy = loss
        if self.loss != "cross_entropy":  # the log loss too, to compare the losses
            head = binary_head if self._binary else multiclass_head
            cross_entropy, _ = head(logits, y, "cross_entropy", with_grad=False)
        objective = loss + self._penalty(params)
        predicted = (logits > 0).astype(np.int64) if self._binary else np.argmax(logits, axis=1)
        return {
            f"{prefix}loss": loss,
            f"{prefix}objective": objective,
            f"{prefix}cross_entropy": cross_entropy,
            f"{prefix}accuracy": float(np.mean(predicted == y)),
        }

    def _split(
        self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
        if not self.early_stopping:
            return X, y, None, None
        n = X.shape[0]
        n_val = math.ceil(self.validation_fraction * n)
        if n_val >= n:
            msg = (
                f"validation_fraction={self.validation_fraction} leaves no training "
                f"samples out of {n}"
            )
            raise ValueError(msg)
        order = rng.permutation(n)
        val, train = order[:n_val], order[n_val:]
        return X[train], y[train], X[val], y[val]

    def _batches(self, n: int, rng: np.random.Generator) -> list[np.ndarray]:
        if self.batch_size is None or self.batch_size >= n:
            return [np.arange(n)]  # full batch: plain (deterministic) gradient descent
        order = rng.permutation(n)  # reshuffled every epoch
        return [order[i : i + self.batch_size] for i in range(0, n, self.batch_size)]

    def _check_params(self) -> Optimizer:
        """Validate the hyperparameters (at fit time, as scikit-learn does)."""
        if self.loss not in _LOSSES:
            msg = f"loss must be one of {_LOSSES}, got {self.loss!r}"
            raise ValueError(msg)
        _check_positive_int("epochs", self.epochs)
        _check_positive_int("patience", self.patience)
        if self.batch_size is not None:
            _check_positive_int("batch_size", self.batch_size)
        _check_number("l2", self.l2, low=0.0)
        if self.tol is not None:
            _check_number("tol", self.tol, low=0.0)
        _check_bool("early_stopping", self.early_stopping)
        _check_fraction("validation_fraction", self.validation_fraction)
        _check_rng(self.rng)
        self._check_model_params()
        return self._make_optimizer()

    def _make_optimizer(self) -> Optimizer:
        if not isinstance(self.optimizer, str):
            if not (hasattr(self.optimizer, "init") and hasattr(self.optimizer, "step")):
                msg = (
                    f"optimizer must be one of {_OPTIMIZERS} or an object with init and "
                    f"step methods, got {self.optimizer!r}"
                )
                raise ValueError(msg)
            return self.optimizer  # its own learning rate; `learning_rate` is not used
        _check_number("learning_rate", self.learning_rate, low=0.0, strict=True)
        if self.optimizer == "sgd":
            return SGD(self.learning_rate)
        if self.optimizer == "momentum":
            return Momentum(self.learning_rate)
        if self.optimizer == "adam":
            return Adam(self.learning_rate)
        msg = f"optimizer must be one of {_OPTIMIZERS} or an optimiser, got {self.optimizer!r}"
        raise ValueError(msg)

    # ---- prediction ------------------------------------------------------------------

    def _fitted_features(self, X: Any) -> np.ndarray:
        if not hasattr(self, "params_"):
            msg = f"this {type(self).__name__} is not fitted yet; call fit(X, y) first"
            raise NotFittedError(msg)
        features = _check_features(X)
        if features.shape[1] != self.n_features_in_:
            msg = (
                f"X has {features.shape[1]} features, but {type(self).__name__} is "
                f"expecting {self.n_features_in_} features as input"
            )
            raise ValueError(msg)
        return features

    def _fitted_logits(self, X: Any) -> np.ndarray:
        features = self._fitted_features(X)  # first: raises NotFittedError before fit
        return self._logits(self.params_, features)

    def decision_function(self, X: Any) -> np.ndarray:
        """Scores of the classes, larger meaning more likely (scikit-learn's convention).

        Two classes: shape (n,), the log-odds of ``classes_[1]`` (for a softmax model
        :math:`z_1 - z_0`, since :math:`p_1 / p_0 = e^{z_1 - z_0}`). More classes: the
        logits, shape (n, K).
        """
        logits = self._fitted_logits(X)
        if self._binary:
            return logits
        if logits.shape[1] == 2:
            return np.asarray(logits[:, 1] - logits[:, 0])
        return logits

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n, K), columns in the order of ``classes_``."""
        logits = self._fitted_logits(X)
        if self._binary:
            positive = np.asarray(sigmoid(logits))
            return np.column_stack([1.0 - positive, positive])
        return np.asarray(softmax(logits))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row (ties: the first in ``classes_``)."""
        logits = self._fitted_logits(X)
        index = (logits > 0).astype(np.int64) if self._binary else np.argmax(logits, axis=1)
        return np.asarray(self.classes_[index])

    def score(self, X: Any, y: Any) -> float:
        """Accuracy: the fraction of rows of ``X`` whose predicted class is ``y``."""
        X = self._fitted_features(X)
        y = _check_labels(y, X.shape[0])
        return float(np.mean(self.predict(X) == y))


# --------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------


def _check_features(X: Any) -> np.ndarray:
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):  # scipy.sparse, without importing it
        msg = "X is sparse; sparse input is not supported, pass a dense array (X.toarray())"
        raise TypeError(msg)
    try:
        array = np.asarray(X)
    except ValueError as exc:  # ragged nested lists
        msg = f"X must be a rectangular 2-D array: {exc}"
        raise ValueError(msg) from exc
    if np.iscomplexobj(array):
        msg = "X holds complex numbers: Complex data not supported"
        raise ValueError(msg)
    try:
        array = array.astype(np.float64)
    except (TypeError, ValueError) as exc:  # strings, dicts, None among the entries
        msg = f"X must be an array of numbers: {exc}"
        raise TypeError(msg) from exc
    if array.ndim != 2:
        msg = (
            f"X must be a 2-D array (n_samples, n_features), got shape {array.shape}; "
            "Reshape your data with X.reshape(-1, 1) for one feature or X.reshape(1, -1) "
            "for one sample"
        )
        raise ValueError(msg)
    for axis, what in ((0, "sample(s)"), (1, "feature(s)")):
        if array.shape[axis] == 0:
            msg = f"X has 0 {what} (shape={array.shape}) while a minimum of 1 is required."
            raise ValueError(msg)
    if not np.all(np.isfinite(array)):
        row = int(np.argwhere(~np.isfinite(array))[0][0])
        msg = f"X must be finite; row {row} holds NaN or inf"
        raise ValueError(msg)
    return array


def _check_labels(y: Any, n: int) -> np.ndarray:
    if y is None:
        msg = "this estimator requires y to be passed, but the target y is None"
        raise ValueError(msg)
    labels = np.asarray(y)
    if labels.ndim != 1 or labels.shape[0] != n:
        msg = f"y must be a 1-D array with one label per row of X ({n}), got shape {labels.shape}"
        raise ValueError(msg)
    return labels


def _check_class_labels(labels: np.ndarray) -> None:
    """Refuse a continuous target: floats that are not all whole numbers."""
    if np.issubdtype(labels.dtype, np.floating) and not np.all(labels == np.round(labels)):
        msg = (
            "Unknown label type: y is continuous (floats with fractional parts); "
            "a classifier needs class labels"
        )
        raise ValueError(msg)


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        msg = f"{name} must be an integer >= 1, got {value!r}"
        raise ValueError(msg)


def _check_number(name: str, value: object, *, low: float, strict: bool = False) -> None:
    if isinstance(value, (int, float, np.floating)) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number) and (number > low if strict else number >= low):
            return
    bound = f"> {low}" if strict else f">= {low}"
    msg = f"{name} must be a finite number {bound}, got {value!r}"
    raise ValueError(msg)


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, (bool, np.bool_)):
        msg = f"{name} must be True or False, got {value!r}"
        raise ValueError(msg)


def _check_fraction(name: str, value: object) -> None:
    if not (isinstance(value, (int, float)) and 0.0 < value < 1.0):
        msg = f"{name} must be a number in (0, 1), got {value!r}"
        raise ValueError(msg)


def _check_rng(value: object) -> None:
    if not (value is None or isinstance(value, (int, np.integer, np.random.Generator))):
        msg = f"rng must be a numpy.random.Generator, an int or None, got {value!r}"
        raise ValueError(msg)


def _same(a: object, b: object) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return a is b
