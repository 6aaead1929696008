"""Small classification data sets: Fisher's Iris (bundled) and Gaussian blobs (generated)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

import numpy as np

__all__ = ["Dataset", "load_iris", "make_classification"]

_IRIS_CITATION = (
    'Fisher, R. A. (1936) "The use of multiple measurements in taxonomic problems", '
    "Annals of Eugenics 7(2), 179-188. Data from the UCI Machine Learning Repository, "
    "https://archive.ics.uci.edu/dataset/53/iris (CC BY 4.0)."
)


@dataclass(frozen=True)
class Dataset:
    """A classification data set: features, integer labels and what they mean.

    Attributes
    ----------
    data : ndarray of float64, shape (n, F)
        One row per sample, one column per feature.
    target : ndarray of int64, shape (n,)
        The class of each sample, in ``[0, len(target_names))``.
    feature_names : tuple of str
        The name of each column of ``data``.
    target_names : tuple of str
        The name of each class: ``target_names[target[i]]`` names sample ``i``.
    description : str
        What the data are.
    citation : str
        Where the data come from (empty for generated data).
    """

    data: np.ndarray
    target: np.ndarray
    feature_names: tuple[str, ...]
    target_names: tuple[str, ...]
    description: str
    citation: str


def load_iris() -> Dataset:
    """Fisher's Iris data: 150 flowers, 4 measurements (cm), 3 species.

    The values are read from a CSV file shipped inside the package (no network);
    they are the values scikit-learn bundles (``sklearn.datasets.load_iris``).

    Returns
    -------
    Dataset
        ``data`` of shape (150, 4): sepal length, sepal width, petal length, petal width;
        ``target`` of shape (150,): 0 setosa, 1 versicolor, 2 virginica (50 each).

    References
    ----------
    .. [1] Fisher, R. A. (1936) "The use of multiple measurements in taxonomic problems",
       Annals of Eugenics 7(2), 179-188.
    .. [2] UCI Machine Learning Repository, Iris, https://archive.ics.uci.edu/dataset/53/iris
       (CC BY 4.0).

    Examples
    --------
    >>> iris = load_iris()
    >>> iris.data.shape, iris.target_names
    ((150, 4), ('setosa', 'versicolor', 'virginica'))
    >>> iris.data[0].tolist(), int(iris.target[0])
    ([5.1, 3.5, 1.4, 0.2], 0)
    """
    text = resources.files("crossentropy.models").joinpath("data/iris.csv").read_text("utf-8")
    rows = [row for row in csv.reader(io.StringIO(text)) if row and not row[0].startswith("#")]
    header, body = rows[0], rows[1:]
    target_names = ("setosa", "versicolor", "virginica")
    data = np.array([[float(v) for v in row[:-1]] for row in body], dtype=np.float64)
    target = np.array([target_names.index(row[-1]) for row in body], dtype=np.int64)
    feature_names = tuple(name.replace("_cm", " (cm)").replace("_", " ") for name in header[:-1])
    return Dataset(
        data=data,
        target=target,
        feature_names=feature_names,
        target_names=target_names,
        description=(
            "Fisher's Iris data: sepal and petal length and width (cm) of 50 flowers "
            "from each of three species of Iris (setosa, versicolor, virginica)."
        ),
        citation=_IRIS_CITATION,
    )


def make_classification(
    n_samples: int = 600,
    n_features: int = 2,
    n_classes: int = 5,
    *,
    class_sep: float = 1.0,
    noise: float = 1.0,
    rng: np.random.Generator | int | None = None,
) -> Dataset:
    """Overlapping Gaussian blobs: a harder classification problem than Iris.

    Class ``k`` has its centre ``class_sep * m_k`` with ``m_k`` drawn from a standard
    normal distribution in ``n_features`` dimensions (times 2, so that the centres spread
    out), and its samples are the centre plus isotropic Gaussian noise of standard
    deviation ``noise``. Classes get ``n_samples // n_classes`` samples each (the first
    ``n_samples % n_classes`` classes one more); the rows are shuffled.

    Parameters
    ----------
    n_samples : int, default 600
        Number of samples, at least ``n_classes``.
    n_features : int, default 2
        Number of features, at least 1.
    n_classes : int, default 5
        Number of classes, at least 2.
    class_sep : float, default 1.0
        Scale of the distances between the class centres (>= 0); smaller is harder.
    noise : float, default 1.0
        Standard deviation of the noise around each centre (>= 0); larger is harder.
    rng : numpy.random.Generator, int or None
        The randomness: the same seed gives the same data set.

    Returns
    -------
    Dataset
        ``data`` of shape (n_samples, n_features), ``target`` in ``[0, n_classes)``.

    Raises
    ------
    ValueError
        A count or scale out of range, naming the argument.

    Examples
    --------
    >>> blobs = make_classification(rng=0)
    >>> blobs.data.shape, sorted(set(blobs.target.tolist()))
    ((600, 2), [0, 1, 2, 3, 4])
    >>> bool((make_classification(rng=0).data == blobs.data).all())
    True
    """
    _check_int("n_classes", n_classes, 2)
    _check_int("n_features", n_features, 1)
    _check_int("n_samples", n_samples, n_classes)
    for name, value in (("class_sep", class_sep), ("noise", noise)):
        if not np.isfinite(value) or value < 0:
            msg = f"{name} must be a finite number >= 0, got {value!r}"
            raise ValueError(msg)
    generator = np.random.default_rng(rng)
    centres = class_sep * 2.0 * generator.standard_normal((n_classes, n_features))
    counts = np.full(n_classes, n_samples // n_classes)
    counts[: n_samples % n_classes] += 1
    target = np.repeat(np.arange(n_classes, dtype=np.int64), counts)
    data = centres[target] + noise * generator.standard_normal((n_samples, n_features))
    order = generator.permutation(n_samples)
    return Dataset(
        data=data[order],
        target=target[order],
        feature_names=tuple(f"x{j}" for j in range(n_features)),
        target_names=tuple(f"class {k}" for k in range(n_classes)),
        description=(
            f"{n_classes} Gaussian blobs in {n_features} dimensions "
            f"(class_sep={class_sep}, noise={noise})."
        ),
        citation="",
    )


def _check_int(name: str, value: object, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        msg = f"{name} must be an integer >= {minimum}, got {value!r}"
        raise ValueError(msg)
