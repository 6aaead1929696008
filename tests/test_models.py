"""crossentropy.models: data sets, optimisers, gradients, scikit-learn conventions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from crossentropy.losses import binary_cross_entropy_with_logits, softmax_cross_entropy
from crossentropy.models import (
    SGD,
    Adam,
    BaseClassifier,
    LogisticRegression,
    MLPClassifier,
    Momentum,
    NotFittedError,
    SoftmaxRegression,
    load_iris,
    make_classification,
)

MODELS = [LogisticRegression, SoftmaxRegression, MLPClassifier]


def standardized_iris() -> tuple[np.ndarray, np.ndarray]:
    iris = load_iris()
    X = (iris.data - iris.data.mean(axis=0)) / iris.data.std(axis=0)
    return X, iris.target


# --------------------------------------------------------------------------------------
# Data sets
# --------------------------------------------------------------------------------------


def test_load_iris_matches_scikit_learn_exactly() -> None:
    datasets = pytest.importorskip("sklearn.datasets")
    ours, theirs = load_iris(), datasets.load_iris()
    assert ours.data.dtype == np.float64
    assert ours.target.dtype == np.int64
    np.testing.assert_array_equal(ours.data, theirs.data)
    np.testing.assert_array_equal(ours.target, theirs.target)
    assert ours.target_names == tuple(theirs.target_names)
    assert ours.feature_names == tuple(theirs.feature_names)
    assert "Fisher" in ours.citation
    assert "179-188" in ours.citation
    assert "CC BY 4.0" in ours.citation
    assert "Fisher" in (load_iris.__doc__ or "")


def test_make_classification_is_deterministic_and_shaped() -> None:
    a = make_classification(n_samples=103, n_features=3, n_classes=4, rng=7)
    b = make_classification(n_samples=103, n_features=3, n_classes=4, rng=np.random.default_rng(7))
    c = make_classification(n_samples=103, n_features=3, n_classes=4, rng=8)
    assert a.data.shape == (103, 3)
    assert a.target.dtype == np.int64
    np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(a.target, b.target)
    assert not np.array_equal(a.data, c.data)
    assert np.bincount(a.target).tolist() == [26, 26, 26, 25]
    assert len(a.target_names) == 4
    assert len(a.feature_names) == 3


def test_make_classification_noise_controls_difficulty() -> None:
    easy = make_classification(n_samples=400, n_classes=3, noise=0.05, rng=1)
    centres = np.array([easy.data[easy.target == k].mean(axis=0) for k in range(3)])
    nearest = np.argmin(((easy.data[:, None, :] - centres) ** 2).sum(axis=-1), axis=1)
    assert np.mean(nearest == easy.target) > 0.99


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_classes": 1}, "n_classes"),
        ({"n_features": 0}, "n_features"),
        ({"n_samples": 3}, "n_samples"),
        ({"noise": -1.0}, "noise"),
        ({"class_sep": math.nan}, "class_sep"),
    ],
)
def test_make_classification_rejects_bad_arguments(kwargs: dict[str, float], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        make_classification(**kwargs)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------
# Optimisers: update formulas by hand
# --------------------------------------------------------------------------------------


def test_sgd_step_by_hand() -> None:
    opt = SGD(0.5)
    params = [np.array([1.0, -2.0]), np.array(3.0)]
    grads = [np.array([0.2, 0.4]), np.array(-1.0)]
    new, state = opt.step(params, grads, opt.init(params))
    np.testing.assert_allclose(new[0], [0.9, -2.2])
    np.testing.assert_allclose(new[1], 3.5)
    assert state.steps == 1
    np.testing.assert_array_equal(params[0], [1.0, -2.0])  # not updated in place


def test_momentum_steps_by_hand() -> None:
    opt = Momentum(0.1, momentum=0.9)
    params = [np.array([1.0])]
    state = opt.init(params)
    params, state = opt.step(params, [np.array([2.0])], state)
    # v1 = 0.9 * 0 + 2 = 2;  theta1 = 1 - 0.1 * 2 = 0.8
    np.testing.assert_allclose(state.first[0], [2.0])
    np.testing.assert_allclose(params[0], [0.8])
    params, state = opt.step(params, [np.array([-1.0])], state)
    # v2 = 0.9 * 2 - 1 = 0.8;  theta2 = 0.8 - 0.1 * 0.8 = 0.72
    np.testing.assert_allclose(state.first[0], [0.8])
    np.testing.assert_allclose(params[0], [0.72])


def test_adam_steps_by_hand() -> None:
    lr, b1, b2, eps = 0.1, 0.8, 0.9, 1e-8
    opt = Adam(lr, beta1=b1, beta2=b2, eps=eps)
    params = [np.array([1.0])]
    state = opt.init(params)
    params, state = opt.step(params, [np.array([2.0])], state)
    m1, v1 = (1 - b1) * 2.0, (1 - b2) * 4.0  # 0.4, 0.4
    theta1 = 1.0 - lr * (m1 / (1 - b1)) / (math.sqrt(v1 / (1 - b2)) + eps)  # 1 - 0.1 * 2/2
    np.testing.assert_allclose(params[0], [theta1], rtol=1e-12)
    assert theta1 == pytest.approx(0.9)
    params, state = opt.step(params, [np.array([-1.0])], state)
    m2, v2 = b1 * m1 + (1 - b1) * -1.0, b2 * v1 + (1 - b2) * 1.0
    m_hat, v_hat = m2 / (1 - b1**2), v2 / (1 - b2**2)
    theta2 = theta1 - lr * m_hat / (math.sqrt(v_hat) + eps)
    np.testing.assert_allclose(params[0], [theta2], rtol=1e-12)
    np.testing.assert_allclose(state.first[0], [m2])
    np.testing.assert_allclose(state.second[0], [v2])
    assert state.steps == 2


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: SGD(0.0), "learning_rate"),
        (lambda: SGD(math.inf), "learning_rate"),
        (lambda: Momentum(0.1, momentum=1.0), "momentum"),
        (lambda: Adam(beta1=-0.1), "beta1"),
        (lambda: Adam(beta2=1.0), "beta2"),
        (lambda: Adam(eps=0.0), "eps"),
    ],
)
def test_optimisers_reject_bad_arguments(make: object, name: str) -> None:
    with pytest.raises(ValueError, match=name):
        make()  # type: ignore[operator]


# --------------------------------------------------------------------------------------
# Gradients against central finite differences (float64)
# --------------------------------------------------------------------------------------


def numerical_gradient(
    model: BaseClassifier, params: list[np.ndarray], X: np.ndarray, y: np.ndarray
) -> list[np.ndarray]:
    h = 1e-6
    grads = []
    for i, p in enumerate(params):
        g = np.zeros_like(p)
        for index in np.ndindex(p.shape):
            plus = [q.copy() for q in params]
            minus = [q.copy() for q in params]
            plus[i][index] += h
            minus[i][index] -= h
            f_plus, _ = model._objective(plus, X, y, with_grad=False)
            f_minus, _ = model._objective(minus, X, y, with_grad=False)
            g[index] = (f_plus - f_minus) / (2 * h)
        grads.append(g)
    return grads


GRADIENT_CASES = [
    (LogisticRegression, {}),
    (SoftmaxRegression, {}),
    (MLPClassifier, {"hidden_layer_sizes": (5,), "activation": "tanh"}),
    (MLPClassifier, {"hidden_layer_sizes": (4, 3), "activation": "sigmoid"}),
    (MLPClassifier, {"hidden_layer_sizes": (6,), "activation": "relu"}),
    (MLPClassifier, {"hidden_layer_sizes": (), "activation": "tanh"}),
]


@pytest.mark.parametrize(("cls", "extra"), GRADIENT_CASES)
@pytest.mark.parametrize("loss", ["cross_entropy", "squared"])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradient_matches_finite_differences(
    cls: type[BaseClassifier], extra: dict[str, object], loss: str, l2: float
) -> None:
    rng = np.random.default_rng(5)
    n_features, n_samples = 3, 7
    n_outputs = 1 if cls is LogisticRegression else 4
    X = rng.normal(size=(n_samples, n_features))
    y = rng.integers(0, 2 if cls is LogisticRegression else 4, size=n_samples)
    model = cls(loss=loss, l2=l2, **extra)  # type: ignore[call-arg]
    params = model._init_params(rng, n_features, n_outputs)
    params = [p + rng.normal(scale=0.5, size=p.shape) for p in params]  # not at zero
    value, grads = model._objective(params, X, y)
    assert math.isfinite(value)
    expected = numerical_gradient(model, params, X, y)
    for got, want in zip(grads, expected, strict=True):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)


def test_cross_entropy_comes_from_the_library() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(9, 2)), np.arange(9) % 3
    model = SoftmaxRegression(loss="squared", epochs=3, optimizer="sgd").fit(X, y)
    logits = model.decision_function(X)
    assert model.history_[-1]["cross_entropy"] == pytest.approx(
        float(softmax_cross_entropy(logits, y))
    )
    yb = (y > 0).astype(np.int64)
    binary = LogisticRegression(epochs=3).fit(X, yb)
    assert binary.history_[-1]["loss"] == pytest.approx(
        float(binary_cross_entropy_with_logits(binary.decision_function(X), yb.astype(float)))
    )


# --------------------------------------------------------------------------------------
# Against scikit-learn
# --------------------------------------------------------------------------------------


def test_softmax_regression_reaches_scikit_learn_log_loss_on_iris() -> None:
    linear_model = pytest.importorskip("sklearn.linear_model")
    metrics = pytest.importorskip("sklearn.metrics")
    X, y = standardized_iris()
    C, n = 1.0, X.shape[0]
    # scikit-learn minimises C * sum(log loss) + 0.5 ||W||^2 = C n (mean log loss +
    # 0.5 / (C n) ||W||^2): the same minimiser as ours with l2 = 1 / (C n).
    reference = linear_model.LogisticRegression(C=C, max_iter=10_000, tol=1e-12).fit(X, y)
    model = SoftmaxRegression(
        optimizer="momentum", learning_rate=0.3, epochs=600, l2=1.0 / (C * n), tol=None
    ).fit(X, y)
    ours = metrics.log_loss(y, model.predict_proba(X))
    theirs = metrics.log_loss(y, reference.predict_proba(X))
    assert abs(ours - theirs) < 1e-4
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-4)
    # The intercepts are defined up to a common shift (softmax is shift invariant).
    np.testing.assert_allclose(
        model.intercept_ - model.intercept_.mean(),
        reference.intercept_ - reference.intercept_.mean(),
        atol=1e-4,
    )


def test_logistic_regression_reaches_scikit_learn_log_loss() -> None:
    linear_model = pytest.importorskip("sklearn.linear_model")
    X, y = standardized_iris()
    X, y = X[y > 0], y[y > 0]  # versicolor vs virginica: not separable
    C, n = 0.5, X.shape[0]
    reference = linear_model.LogisticRegression(C=C, max_iter=10_000, tol=1e-12).fit(X, y)
    model = LogisticRegression(
        optimizer="momentum", learning_rate=0.3, epochs=800, l2=1.0 / (C * n), tol=None
    ).fit(X, y)
    np.testing.assert_array_equal(model.classes_, [1, 2])
    np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-4)
    np.testing.assert_allclose(model.intercept_, reference.intercept_, atol=1e-4)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X), atol=1e-5)


def test_clone_cross_val_score_and_pipeline() -> None:
    base = pytest.importorskip("sklearn.base")
    model_selection = pytest.importorskip("sklearn.model_selection")
    pipeline = pytest.importorskip("sklearn.pipeline")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    iris = load_iris()
    model = MLPClassifier((8,), learning_rate=0.05, epochs=150, rng=0)
    copy = base.clone(model)
    assert copy is not model
    assert copy.get_params() == model.get_params()
    assert base.is_classifier(model)
    scores = model_selection.cross_val_score(
        SoftmaxRegression(learning_rate=0.1, epochs=200), iris.data, iris.target, cv=3
    )
    assert scores.shape == (3,)
    assert scores.mean() > 0.9
    pipe = pipeline.make_pipeline(preprocessing.StandardScaler(), model)
    pipe.fit(iris.data, iris.target)
    assert pipe.score(iris.data, iris.target) > 0.95
    assert pipe.predict_proba(iris.data).shape == (150, 3)


# --------------------------------------------------------------------------------------
# Estimator conventions
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", MODELS)
def test_get_params_set_params_round_trip(cls: type[BaseClassifier]) -> None:
    model = cls()
    params = model.get_params()
    assert {"loss", "optimizer", "learning_rate", "epochs", "l2", "rng", "tol"} <= set(params)
    assert model.set_params(learning_rate=0.5, l2=0.1) is model
    assert model.get_params()["learning_rate"] == 0.5
    rebuilt = cls(**model.get_params())
    assert rebuilt.get_params() == model.get_params()
    assert "learning_rate=0.5" in repr(model)
    with pytest.raises(ValueError, match="invalid parameter 'nope'"):
        model.set_params(nope=1)


def test_constructor_only_stores_parameters() -> None:
    model = MLPClassifier(hidden_layer_sizes="bad", epochs=-3)  # type: ignore[arg-type]
    assert model.epochs == -3  # validated in fit, as scikit-learn does
    with pytest.raises(ValueError, match="epochs"):
        model.fit([[0.0], [1.0]], [0, 1])


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("loss", "hinge"),
        ("optimizer", "lbfgs"),
        ("optimizer", 3),
        ("learning_rate", 0.0),
        ("learning_rate", math.nan),
        ("epochs", 0),
        ("epochs", 2.5),
        ("batch_size", 0),
        ("l2", -1.0),
        ("tol", -1e-3),
        ("patience", 0),
        ("early_stopping", "yes"),
        ("validation_fraction", 1.0),
        ("rng", "seed"),
        ("hidden_layer_sizes", (4, 0)),
        ("hidden_layer_sizes", 4),
        ("activation", "softplus"),
    ],
)
def test_bad_parameters_raise_value_error_naming_them(name: str, value: object) -> None:
    X, y = standardized_iris()
    model = MLPClassifier(epochs=2).set_params(**{name: value})
    with pytest.raises(ValueError, match=name):
        model.fit(X, y)


def test_bad_inputs_raise_value_error() -> None:
    X, y = standardized_iris()
    model = SoftmaxRegression(epochs=2)
    with pytest.raises(ValueError, match="X must be a 2-D array"):
        model.fit(X[:, 0], y)
    bad = X.copy()
    bad[7, 1] = np.nan
    with pytest.raises(ValueError, match="row 7"):
        model.fit(bad, y)
    with pytest.raises(ValueError, match="y must be a 1-D array"):
        model.fit(X, y[:-1])
    with pytest.raises(ValueError, match="at least 2 classes"):
        model.fit(X, np.zeros(150))
    with pytest.raises(ValueError, match="exactly 2 classes"):
        LogisticRegression(epochs=2).fit(X, y)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        model.predict(X)
    model.fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features"):
        model.predict(X[:, :3])
    with pytest.raises(ValueError, match="validation_fraction"):
        SoftmaxRegression(early_stopping=True, validation_fraction=0.9).fit(X[48:52], y[48:52])


def test_divergence_is_reported() -> None:
    X, y = standardized_iris()
    model = SoftmaxRegression(optimizer="sgd", learning_rate=1e308, epochs=5)
    with np.errstate(over="ignore"), pytest.raises(FloatingPointError, match="learning_rate"):
        model.fit(X, y)


# --------------------------------------------------------------------------------------
# Training behaviour
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        SoftmaxRegression(learning_rate=0.1, epochs=300),
        MLPClassifier((16,), learning_rate=0.05, epochs=300, rng=0),
        MLPClassifier(
            (16,), "relu", optimizer="momentum", learning_rate=0.05, batch_size=16, epochs=60, rng=0
        ),
        MLPClassifier(
            (8, 8), "sigmoid", optimizer="sgd", learning_rate=0.5, batch_size=10, epochs=100, rng=0
        ),
    ],
)
def test_cross_entropy_training_reaches_high_accuracy_on_iris(model: BaseClassifier) -> None:
    X, y = standardized_iris()
    model.fit(X, y)
    assert model.score(X, y) >= 0.96
    assert model.history_[-1]["accuracy"] == pytest.approx(model.score(X, y))
    losses = [record["loss"] for record in model.history_]
    assert losses[-1] < 0.5 * losses[0]


def test_predictions_are_consistent() -> None:
    X, y = standardized_iris()
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = MLPClassifier((6,), learning_rate=0.05, epochs=100, rng=1).fit(X, labels)
    proba = model.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.predict(X).tolist() == model.classes_[np.argmax(proba, axis=1)].tolist()
    out = model.forward(X)
    np.testing.assert_allclose(out.probabilities, proba)
    np.testing.assert_allclose(out.logits, model.decision_function(X))
    assert [h.shape for h in out.hidden] == [(150, 6)]
    assert np.all(np.abs(out.hidden[0]) <= 1.0)  # tanh
    assert [w.shape for w in model.weights_] == [(4, 6), (6, 3)]
    assert [b.shape for b in model.biases_] == [(6,), (3,)]
    binary = LogisticRegression(epochs=50).fit(X, y == 0)
    assert binary.decision_function(X).shape == (150,)
    np.testing.assert_allclose(binary.predict_proba(X).sum(axis=1), 1.0)
    assert binary.predict(X).dtype == bool


def test_fits_are_deterministic_given_rng() -> None:
    data = make_classification(n_samples=120, rng=3)
    kwargs = {"learning_rate": 0.05, "epochs": 5, "batch_size": 16, "rng": 11}
    first = MLPClassifier((5,), **kwargs).fit(data.data, data.target)  # type: ignore[arg-type]
    second = MLPClassifier((5,), **kwargs).fit(data.data, data.target)  # type: ignore[arg-type]
    for a, b in zip(first.weights_, second.weights_, strict=True):
        np.testing.assert_array_equal(a, b)
    assert first.history_ == second.history_
    other = MLPClassifier((5,), **{**kwargs, "rng": 12}).fit(data.data, data.target)  # type: ignore[arg-type]
    assert not np.array_equal(first.weights_[0], other.weights_[0])


def test_history_and_stopping_rules() -> None:
    X, y = standardized_iris()
    full = SoftmaxRegression(epochs=40, tol=None).fit(X, y)
    assert full.n_iter_ == 40
    assert len(full.history_) == 40
    assert {"epoch", "loss", "objective", "cross_entropy", "accuracy"} <= set(full.history_[0])
    converged = SoftmaxRegression(optimizer="sgd", learning_rate=0.5, epochs=5000, tol=1e-3)
    assert converged.fit(X, y).n_iter_ < 5000
    early = MLPClassifier((8,), learning_rate=0.05, epochs=2000, early_stopping=True, rng=0)
    early.fit(X, y)
    assert early.n_iter_ < 2000
    assert {"val_loss", "val_accuracy"} <= set(early.history_[-1])
    # Stopped because the last `patience` epochs did not beat the best before them by tol.
    before = min(record["val_loss"] for record in early.history_[: -early.patience])
    last = min(record["val_loss"] for record in early.history_[-early.patience :])
    assert last > before - 1e-6


def test_optimizer_instance_and_squared_loss() -> None:
    X, y = standardized_iris()
    model = SoftmaxRegression(loss="squared", optimizer=Adam(0.05), epochs=300, tol=None)
    model.fit(X, y)
    assert model.score(X, y) > 0.9
    history = model.history_
    assert history[-1]["loss"] < history[0]["loss"]
    assert history[-1]["loss"] != history[-1]["cross_entropy"]


def test_l2_shrinks_the_weights() -> None:
    X, y = standardized_iris()
    loose = SoftmaxRegression(learning_rate=0.1, epochs=300).fit(X, y)
    tight = SoftmaxRegression(learning_rate=0.1, epochs=300, l2=0.1).fit(X, y)
    assert np.linalg.norm(tight.coef_) < 0.5 * np.linalg.norm(loose.coef_)
    record = tight.history_[-1]
    penalty = 0.5 * 0.1 * float(np.sum(tight.coef_**2))
    assert record["objective"] == pytest.approx(record["loss"] + penalty)


@pytest.mark.filterwarnings("ignore:Estimator .* does not inherit")  # by design: no sklearn
@pytest.mark.filterwarnings("ignore:Skipping check")
@pytest.mark.parametrize(
    "model",
    [
        LogisticRegression(epochs=50, learning_rate=0.1),
        SoftmaxRegression(epochs=50, learning_rate=0.1),
        MLPClassifier(epochs=50, learning_rate=0.05, rng=0),
    ],
    ids=lambda model: type(model).__name__,
)
def test_scikit_learn_estimator_checks(model: BaseClassifier) -> None:
    estimator_checks = pytest.importorskip("sklearn.utils.estimator_checks")
    expected = {
        "check_estimators_unfitted": "raises crossentropy's NotFittedError, not sklearn's",
        "check_supervised_y_2d": "a column vector y is refused with a ValueError",
    }
    estimator_checks.check_estimator(model, expected_failed_checks=expected)


def test_two_class_decision_function_is_the_log_odds() -> None:
    X, y = standardized_iris()
    X, y = X[y > 0], y[y > 0]
    model = SoftmaxRegression(learning_rate=0.1, epochs=100).fit(X, y)
    proba = model.predict_proba(X)
    scores = model.decision_function(X)
    assert scores.shape == (100,)
    np.testing.assert_allclose(scores, np.log(proba[:, 1] / proba[:, 0]))
    np.testing.assert_array_equal(model.predict(X), model.classes_[(scores > 0).astype(int)])


def test_targets_and_inputs_of_the_wrong_kind() -> None:
    X, y = standardized_iris()
    model = SoftmaxRegression(epochs=2)
    with pytest.raises(ValueError, match="continuous"):
        model.fit(X, y + 0.5)
    with pytest.raises(ValueError, match="target y is None"):
        model.fit(X, None)
    with pytest.raises(TypeError, match="X must be an array of numbers"):
        model.fit([["a", "b"], ["c", "d"]], [0, 1])
    with pytest.raises(ValueError, match="Complex data not supported"):
        model.fit(X + 1j, y)
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="sparse input is not supported"):
        model.fit(sparse.csr_matrix(X), y)
    model.fit(X, y.astype(float))  # whole-number floats are class labels
    assert model.classes_.tolist() == [0.0, 1.0, 2.0]


def test_squared_error_gradient_vanishes_on_confident_mistakes() -> None:
    # The teaching point of the two losses: for a confidently wrong prediction the
    # cross-entropy gradient is about p - y (order 1), the squared error's is ~ p_y -> 0.
    logits = np.array([[12.0, 0.0, 0.0]])  # class 0 almost surely; the truth is class 1
    target = np.array([1])
    ce = SoftmaxRegression(loss="cross_entropy")._head(logits, target)[1]
    sq = SoftmaxRegression(loss="squared")._head(logits, target)[1]
    assert ce is not None
    assert sq is not None
    np.testing.assert_allclose(ce, [[1.0, -1.0, 0.0]], atol=1e-4)
    assert np.abs(sq).max() < 1e-3 * np.abs(ce).max()
