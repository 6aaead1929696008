"""First-order optimisers with explicit state: ``init(params) -> state``, ``step``.

Parameters are a list of NumPy arrays (weights and biases); the state is a small
immutable :class:`OptimizerState`; nothing is updated in place, so a step can be replayed
from the same state and the same gradients.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np

__all__ = ["SGD", "Adam", "Momentum", "Optimizer", "OptimizerState"]


class OptimizerState(NamedTuple):
    """An optimiser's state.

    Attributes
    ----------
    steps : int
        Number of steps taken.
    first : list of ndarray
        First-moment slots, one per parameter (Momentum's velocity, Adam's ``m``); empty
        for SGD.
    second : list of ndarray
        Second-moment slots (Adam's ``v``); empty otherwise.
    """

    steps: int
    first: list[np.ndarray]
    second: list[np.ndarray]


class Optimizer(Protocol):
    """What an estimator needs from an optimiser (SGD, Momentum, Adam, or your own)."""

    def init(self, params: list[np.ndarray]) -> OptimizerState:
        """The state before the first step."""
        ...

    def step(
        self, params: list[np.ndarray], grads: list[np.ndarray], state: OptimizerState
    ) -> tuple[list[np.ndarray], OptimizerState]:
        """New parameters and state after one step along ``grads``."""
        ...


def _check_rate(name: str, value: float, *, upper: float | None = None) -> None:
    ok = isinstance(value, (int, float, np.floating)) and math.isfinite(value) and value > 0
    if ok and upper is not None:
        ok = value < upper
    if not ok:
        bound = f"in (0, {upper})" if upper is not None else "> 0"
        msg = f"{name} must be a finite number {bound}, got {value!r}"
        raise ValueError(msg)


@dataclass(frozen=True)
class SGD:
    r"""Plain gradient descent: :math:`\theta \leftarrow \theta - \eta\, g`.

    Parameters
    ----------
    learning_rate : float
        The step size :math:`\eta > 0`.

    Examples
    --------
    >>> import numpy as np
    >>> opt = SGD(0.1)
    >>> params, state = opt.step([np.array([1.0])], [np.array([2.0])], opt.init([np.zeros(1)]))
    >>> params[0].tolist()  # 1 - 0.1 * 2
    [0.8]
    """

    learning_rate: float

    def __post_init__(self) -> None:
        _check_rate("learning_rate", self.learning_rate)

    def init(self, params: list[np.ndarray]) -> OptimizerState:  # noqa: ARG002
        """The (empty) state: plain SGD remembers nothing but the step count."""
        return OptimizerState(0, [], [])

    def step(
        self, params: list[np.ndarray], grads: list[np.ndarray], state: OptimizerState
    ) -> tuple[list[np.ndarray], OptimizerState]:
        """One step: each parameter minus ``learning_rate`` times its gradient."""
        new = [p - self.learning_rate * g for p, g in zip(params, grads, strict=True)]
        return new, OptimizerState(state.steps + 1, [], [])


@dataclass(frozen=True)
class Momentum:
    r"""Gradient descent with (heavy-ball) momentum, in PyTorch's form.

    .. math::

        v \leftarrow \mu\, v + g, \qquad \theta \leftarrow \theta - \eta\, v,

    with :math:`v = 0` at the start. The velocity :math:`v` is a running sum of past
    gradients, decayed by :math:`\mu`; on a constant gradient the step grows towards
    :math:`\eta\, g / (1 - \mu)`.

    Parameters
    ----------
    learning_rate : float
        The step size :math:`\eta > 0`.
    momentum : float, default 0.9
        The decay :math:`\mu \in [0, 1)`; 0 is plain SGD.

    Examples
    --------
    >>> import numpy as np
    >>> opt = Momentum(0.1, momentum=0.5)
    >>> p, s = opt.step([np.array([0.0])], [np.array([1.0])], opt.init([np.zeros(1)]))
    >>> p, s = opt.step(p, [np.array([1.0])], s)
    >>> s.first[0].tolist(), p[0].tolist()  # v = 0.5 * 1 + 1; p = -0.1 - 0.1 * 1.5
    ([1.5], [-0.25])
    """

    learning_rate: float
    momentum: float = 0.9

    def __post_init__(self) -> None:
        _check_rate("learning_rate", self.learning_rate)
        if not (isinstance(self.momentum, (int, float)) and 0.0 <= self.momentum < 1.0):
            msg = f"momentum must be a number in [0, 1), got {self.momentum!r}"
            raise ValueError(msg)

    def init(self, params: list[np.ndarray]) -> OptimizerState:
        """Zero velocity for every parameter."""
        return OptimizerState(0, [np.zeros_like(p) for p in params], [])

    def step(
        self, params: list[np.ndarray], grads: list[np.ndarray], state: OptimizerState
    ) -> tuple[list[np.ndarray], OptimizerState]:
        """One step: update each velocity, then move each parameter against it."""
        velocity = [self.momentum * v + g for v, g in zip(state.first, grads, strict=True)]
        new = [p - self.learning_rate * v for p, v in zip(params, velocity, strict=True)]
        return new, OptimizerState(state.steps + 1, velocity, [])


@dataclass(frozen=True)
class Adam:
    r"""Adam: steps scaled by running estimates of the gradient's first two moments.

    At step :math:`t = 1, 2, \dots`, elementwise,

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2, \\
        \hat m &= m / (1 - \beta_1^t), \qquad \hat v = v / (1 - \beta_2^t), \qquad
        \theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat v} + \epsilon).

    The bias corrections undo the pull of the zero start of :math:`m` and :math:`v`; the
    first step therefore moves each coordinate by about :math:`\eta` (times the sign of
    its gradient), whatever the gradient's scale.

    Parameters
    ----------
    learning_rate : float, default 1e-3
        :math:`\eta > 0`.
    beta1, beta2 : float, default 0.9, 0.999
        Decay rates of the moment estimates, in ``[0, 1)``.
    eps : float, default 1e-8
        :math:`\epsilon > 0`, keeps the division finite.

    References
    ----------
    .. [1] D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization",
       ICLR 2015, https://arxiv.org/abs/1412.6980

    Examples
    --------
    >>> import numpy as np
    >>> opt = Adam(0.1)
    >>> p, s = opt.step([np.array([1.0])], [np.array([-3.0])], opt.init([np.zeros(1)]))
    >>> round(float(p[0][0]), 6)  # the first step is learning_rate * sign(-grad)
    1.1
    """

    learning_rate: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        _check_rate("learning_rate", self.learning_rate)
        _check_rate("eps", self.eps)
        for name, beta in (("beta1", self.beta1), ("beta2", self.beta2)):
            if not (isinstance(beta, (int, float)) and 0.0 <= beta < 1.0):
                msg = f"{name} must be a number in [0, 1), got {beta!r}"
                raise ValueError(msg)

    def init(self, params: list[np.ndarray]) -> OptimizerState:
        """Zero first and second moments for every parameter."""
        zeros = [np.zeros_like(p) for p in params]
        return OptimizerState(0, zeros, [z.copy() for z in zeros])

    def step(
        self, params: list[np.ndarray], grads: list[np.ndarray], state: OptimizerState
    ) -> tuple[list[np.ndarray], OptimizerState]:
        """One step: update both moments, correct their bias, take the scaled step."""
        t = state.steps + 1
        b1, b2 = self.beta1, self.beta2
        m = [b1 * m_ + (1.0 - b1) * g for m_, g in zip(state.first, grads, strict=True)]
        v = [b2 * v_ + (1.0 - b2) * g * g for v_, g in zip(state.second, grads, strict=True)]
        correct1, correct2 = 1.0 - b1**t, 1.0 - b2**t
        new = [
            p - self.learning_rate * (m_ / correct1) / (np.sqrt(v_ / correct2) + self.eps)
            for p, m_, v_ in zip(params, m, v, strict=True)
        ]
        return new, OptimizerState(t, m, v)
