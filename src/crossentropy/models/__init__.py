"""Small classifiers in plain NumPy, trained with cross-entropy or squared error.

Teaching code: the forward and backward passes are written out with their math, the
losses and their gradients come from :mod:`crossentropy.losses`, and the estimators
follow scikit-learn's conventions (``fit``/``predict``/``predict_proba``/``score``,
``get_params``/``set_params``), so they work in its pipelines and cross-validation
without this package importing scikit-learn.

* :class:`LogisticRegression` (binary), :class:`SoftmaxRegression` (multinomial),
  :class:`MLPClassifier` (hidden layers, softmax output);
* the optimisers :class:`SGD`, :class:`Momentum`, :class:`Adam` (explicit state);
* the data sets :func:`load_iris` (bundled) and :func:`make_classification` (blobs);
* :func:`ce_vs_squared`, the experiment comparing the two losses over many seeds, and
  :func:`ce_vs_squared_figure`, its training-accuracy curves.

Examples
--------
>>> from crossentropy.models import SoftmaxRegression, load_iris
>>> iris = load_iris()
>>> model = SoftmaxRegression(learning_rate=0.05, epochs=300).fit(iris.data, iris.target)
>>> model.history_[-1]["accuracy"] > 0.95
True
"""

from crossentropy.models._base import BaseClassifier, NotFittedError
from crossentropy.models._data import Dataset, load_iris, make_classification
from crossentropy.models._experiment import ExperimentResult, LossSummary, ce_vs_squared
from crossentropy.models._experiment_figure import ce_vs_squared_figure
from crossentropy.models._logistic import LogisticRegression
from crossentropy.models._mlp import MLPClassifier, MLPForward
from crossentropy.models._optimizers import SGD, Adam, Momentum, Optimizer, OptimizerState
from crossentropy.models._softmax import SoftmaxRegression

__all__ = [
    "SGD",
    "Adam",
    "BaseClassifier",
    "Dataset",
    "ExperimentResult",
    "LogisticRegression",
    "LossSummary",
    "MLPClassifier",
    "MLPForward",
    "Momentum",
    "NotFittedError",
    "Optimizer",
    "OptimizerState",
    "SoftmaxRegression",
    "ce_vs_squared",
    "ce_vs_squared_figure",
    "load_iris",
    "make_classification",
]
