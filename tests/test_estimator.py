"""xpnet.MLPClassifier and xpnet.MLPRegressor against scikit-learn's own estimator checks,
conventions and MLP estimators."""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest

import xpnet

pytest.importorskip("sklearn")

from sklearn.datasets import load_iris, make_moons, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from xpnet.estimator import MLPClassifier, MLPRegressor  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

#: Checks of scikit-learn's suite this estimator is expected to fail, with the reason. Empty:
#: every check passes (check_classifier_data_not_an_array skips itself without pandas).
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


@parametrize_with_checks([MLPClassifier(), MLPRegressor()],
                         expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(n_samples=300, noise=0.15, random_state=0)
    return X, np.where(y == 1, "upper", "lower")


def test_binary_string_labels(moons):
    X, y = moons
    clf = MLPClassifier((16, 8), learning_rate_init=0.01, max_iter=150, random_state=0,
                        tol=0.0).fit(X, y)
    assert list(clf.classes_) == ["lower", "upper"]
    assert set(clf.predict(X)) <= {"lower", "upper"}
    assert clf.score(X, y) > 0.95
    proba = clf.predict_proba(X)
    assert proba.shape == (300, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    # column 1 is classes_[1], the sigmoid output of the underlying course-layout model
    np.testing.assert_allclose(proba[:, 1], clf.model_.predict_proba(X.T)[0], rtol=1e-6)
    assert clf.n_iter_ == 150 == len(clf.loss_curve_)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.model_.activations == ["relu", "relu", "sigmoid"]
    assert clf.model_.config["classes"] == ["lower", "upper"]


def test_multiclass_is_softmax_over_sorted_classes():
    X, y = load_iris(return_X_y=True)
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = make_pipeline(StandardScaler(),
                        MLPClassifier((10,), learning_rate_init=0.01, max_iter=300, random_state=0))
    clf.fit(X, names)
    mlp = clf[-1]
    assert mlp.model_.layer_dims == [4, 10, 3]
    assert mlp.model_.activations[-1] == "softmax"
    assert clf.score(X, names) > 0.95
    assert clf.predict_proba(X).shape == (150, 3)


def test_cross_val_score_in_a_pipeline_as_good_as_scikit_learns(moons):
    from sklearn import neural_network

    X, y = moons
    kw = dict(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=100, random_state=0)
    ours = cross_val_score(make_pipeline(StandardScaler(), MLPClassifier(**kw)), X, y, cv=3)
    theirs = cross_val_score(make_pipeline(StandardScaler(), neural_network.MLPClassifier(**kw)),
                             X, y, cv=3)
    assert ours.shape == (3,) and ours.min() > 0.8
    assert ours.mean() > theirs.mean() - 0.03


def test_get_set_params_map_to_train(moons):
    X, y = moons
    clf = MLPClassifier(random_state=0)
    clf.set_params(hidden_layer_sizes=5, alpha=0.5, batch_size=None, max_iter=3,
                   solver="sgd", momentum=0.0, learning_rate_init=0.1)
    assert clf.get_params()["alpha"] == 0.5
    clf.fit(X, y)
    assert clf.model_.layer_dims == [2, 5, 1]
    cfg = clf.model_.config
    assert (cfg["lambd"], cfg["mini_batch_size"], cfg["optimizer"], cfg["learning_rate"]) == (
        0.5, 300, "gd", 0.1)
    assert MLPClassifier(max_iter=1).fit(X, y).model_.config["mini_batch_size"] == 200


def test_same_random_state_same_model_on_another_backend(moons):
    X, y = moons
    kwargs = dict(hidden_layer_sizes=(8,), max_iter=20, learning_rate_init=0.01, random_state=3,
                  dtype="float64")
    ref = MLPClassifier(**kwargs).fit(X, y)
    strict = MLPClassifier(backend="array_api_strict", **kwargs).fit(X, y)
    assert strict.model_.backend.name == "array_api_strict"
    np.testing.assert_allclose(strict.predict_proba(X), ref.predict_proba(X), rtol=1e-9)
    np.testing.assert_allclose(strict.loss_curve_, ref.loss_curve_, rtol=1e-9)


def test_pickle_keeps_the_model(moons):
    X, y = moons
    clf = MLPClassifier((6,), max_iter=5, random_state=0, backend="array_api_strict").fit(X, y)
    back = pickle.loads(pickle.dumps(clf))
    assert back.model_.backend.name == "array_api_strict"
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.loss_curve_ == clf.loss_curve_


@pytest.mark.parametrize(("params", "message"), [
    ({"hidden_layer_sizes": (5, 0)}, r"hidden_layer_sizes\[1\] must be >= 1, got 0"),
    ({"hidden_layer_sizes": "20"}, r"hidden_layer_sizes must be an int or a tuple of ints"),
    ({"hidden_layer_sizes": 2.5}, r"hidden_layer_sizes must be an int >= 1, got 2.5"),
    ({"activation": "softmax"}, "activation='softmax' is not a hidden-layer activation"),
    ({"alpha": -1.0}, "alpha must be >= 0, got -1.0"),
    ({"alpha": "strong"}, "alpha must be a finite number >= 0, got 'strong'"),
    ({"max_iter": 0}, "max_iter must be >= 1, got 0"),
    ({"max_iter": 2.0}, "max_iter must be an int >= 1, got 2.0"),
    ({"batch_size": 0}, "batch_size must be 'auto', None or an int >= 1, got 0"),
    ({"batch_size": "full"}, "batch_size must be 'auto', None or an int >= 1, got 'full'"),
    ({"solver": "adamw"}, "solver='adamw' is not known"),
    ({"solver": "lbfgs"}, "solver='lbfgs' is not available in xpnet"),
    ({"learning_rate_init": 0.0}, "learning_rate_init must be > 0"),
    ({"momentum": 1.0}, r"momentum must be in \[0, 1\)"),
    ({"validation_fraction": 1.0}, r"validation_fraction must be in \(0, 1\)"),
    ({"n_iter_no_change": 0}, "n_iter_no_change must be >= 1"),
    ({"beta_1": -0.1}, "beta_1 must be in"),
    ({"keep_prob": 0.0}, "keep_prob must be in"),
    ({"init": "hee"}, "init='hee' is not known.*Did you mean 'he'"),
    ({"random_state": -1}, "random_state must be None or an int >= 0, got -1"),
    ({"random_state": "seed"}, "random_state must be None or an int >= 0, got 'seed'"),
    ({"backend": "nump"}, "Did you mean 'numpy'"),
    ({"dtype": "float16"}, "dtype='float16' is not supported; expected one of float32, float64"),
])
def test_bad_settings_name_the_parameter(moons, params, message):
    from sklearn.utils._param_validation import InvalidParameterError

    X, y = moons
    with pytest.raises(InvalidParameterError, match=message) as info:
        MLPClassifier(**{"max_iter": 1, **params}).fit(X, y)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)


@pytest.mark.parametrize("cls", [MLPClassifier, MLPRegressor])
def test_every_parameter_has_one_check_and_sklearns_names(cls):
    from sklearn import neural_network

    ours = set(cls().get_params())
    assert set(cls._parameter_checks) == ours
    theirs = set(getattr(neural_network, cls.__name__)().get_params())
    # scikit-learn's that xpnet's maths has no counterpart for (MLPRegressor's loss: xpnet's
    # is the squared error only, scikit-learn's default)
    missing = {"learning_rate", "power_t", "nesterovs_momentum", "max_fun"}
    assert theirs - ours == (missing | {"loss"} if cls is MLPRegressor else missing)
    assert ours - theirs == {"keep_prob", "init", "backend", "device", "dtype"}


def test_a_numpy_random_state_seeds_the_run(moons):
    X, y = moons
    kwargs = dict(hidden_layer_sizes=(4,), max_iter=3)
    a = MLPClassifier(random_state=np.random.RandomState(7), **kwargs).fit(X, y)
    b = MLPClassifier(random_state=np.random.RandomState(7), **kwargs).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_


def test_one_class_is_refused():
    with pytest.raises(ValueError, match="at least two classes"):
        MLPClassifier().fit(np.ones((4, 2)), ["a"] * 4)


# -- parity with scikit-learn's MLPs ------------------------------------------------------------


def test_fitted_attributes_in_scikit_learns_layout(moons):
    X, y = moons
    clf = MLPClassifier((6, 3), max_iter=20, random_state=0, activation="tanh",
                        tol=0.0).fit(X, y)
    assert [c.shape for c in clf.coefs_] == [(2, 6), (6, 3), (3, 1)]
    assert [b.shape for b in clf.intercepts_] == [(6,), (3,), (1,)]
    assert (clf.n_layers_, clf.n_outputs_, clf.out_activation_) == (4, 1, "logistic")
    A = X
    for W, b in zip(clf.coefs_[:-1], clf.intercepts_[:-1], strict=True):
        A = np.tanh(A @ W + b)
    p = 1 / (1 + np.exp(-(A @ clf.coefs_[-1] + clf.intercepts_[-1])))
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], p[:, 0], rtol=1e-10)
    assert clf.n_iter_ == 20 and clf.t_ == 20 * 300 and clf.loss_ == clf.loss_curve_[-1]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None


@pytest.mark.parametrize("activation, factor", [("relu", 6.0), ("logistic", 2.0)])
def test_glorot_uniform_draws_as_scikit_learn_does(moons, activation, factor):
    X, y = moons
    clf = MLPClassifier((50, 40), activation=activation, max_iter=1, random_state=0,
                        learning_rate_init=1e-9).fit(X, y)
    assert clf.model_.config["init"] == "glorot_uniform"
    for W, b, (n_in, n_out) in zip(clf.coefs_, clf.intercepts_, [(2, 50), (50, 40), (40, 1)],
                                   strict=True):
        bound = np.sqrt(factor / (n_in + n_out))
        both = np.concatenate([W.ravel(), b])
        assert np.abs(both).max() <= bound and np.abs(both).max() > 0.8 * bound
    he = MLPClassifier((50,), init="he", max_iter=1, random_state=0).fit(X, y)
    assert he.model_.config["init"] == "he"


def test_logistic_and_identity_are_scikit_learns_names(moons):
    X, y = moons
    assert MLPClassifier((3,), activation="logistic", max_iter=2).fit(
        X, y).model_.activations == ["sigmoid", "sigmoid"]
    assert MLPRegressor((3,), activation="identity", max_iter=2).fit(
        X, X[:, 0]).model_.activations == ["linear", "linear"]


def test_sgd_with_momentum_takes_scikit_learns_steps():
    from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

    rng = np.random.default_rng(0)
    P0 = rng.standard_normal((3, 2))
    theirs = [P0.copy()]
    sgd = SGDOptimizer(theirs, 0.05, momentum=0.8, nesterov=False)
    ours = MLPClassifier(solver="sgd", momentum=0.8, learning_rate_init=0.05)._make_optimizer(
        MLPClassifier(solver="sgd", momentum=0.8, learning_rate_init=0.05)._checked_params())
    params = {"W1": P0.copy()}
    for _ in range(5):
        g = rng.standard_normal((3, 2))
        sgd.update_params(theirs, [g])
        params = ours.step(params, {"dW1": g})
    np.testing.assert_allclose(params["W1"], theirs[0], rtol=1e-12)


def test_convergence_stops_training_as_scikit_learn_does(moons):
    X, y = moons
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        # a tol no epoch beats: converged after n_iter_no_change + 1 epochs without progress
        clf = MLPClassifier((4,), max_iter=100, tol=10.0, n_iter_no_change=3).fit(X, y)
    assert clf.n_iter_ == 5
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(3\) reached"):
        MLPClassifier((4,), max_iter=3).fit(X, y)


def test_early_stopping_keeps_the_best_validation_score(moons):
    X, y = moons
    clf = MLPClassifier((16,), max_iter=300, early_stopping=True, random_state=0,
                        learning_rate_init=0.01, n_iter_no_change=5).fit(X, y)
    scores = clf.validation_scores_
    assert len(scores) == clf.n_iter_ < 300 and clf.best_loss_ is None
    assert clf.best_validation_score_ == max(scores)
    assert clf.model_.config["best_epoch"] == int(np.argmax(scores))
    assert clf.t_ == clf.n_iter_ * 270  # 30 of the 300 held out, stratified


def test_partial_fit_goes_on_one_epoch_at_a_time(moons):
    X, y = moons
    clf = MLPClassifier((8,), random_state=0, learning_rate_init=0.01)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    for i in range(4):
        clf.partial_fit(X[:150], y[:150], classes=["lower", "upper"])
        assert clf.n_iter_ == 1 and len(clf.loss_curve_) == i + 1 and clf.t_ == 150 * (i + 1)
    assert clf.model_.optimizer.t == 4  # one Adam state went on: one step per call
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    with pytest.raises(ValueError, match="not in classes_"):
        clf.partial_fit(X[:3], ["other"] * 3)


def test_warm_start_continues_from_the_last_weights(moons):
    X, y = moons
    clf = MLPClassifier((8,), random_state=0, max_iter=10, warm_start=True, tol=0.0,
                        learning_rate_init=0.01)
    with pytest.warns(ConvergenceWarning):
        clf.fit(X, y)
        first = list(clf.loss_curve_)
        clf.fit(X, y)
    assert len(clf.loss_curve_) == 20 and clf.loss_curve_[:10] == first
    assert clf.loss_curve_[10] < first[0]
    with pytest.warns(ConvergenceWarning):
        cold = clf.set_params(warm_start=False).fit(X, y)
    assert cold.loss_curve_ == first


def test_predict_log_proba_is_finite_where_proba_rounds_to_zero(moons):
    X, y = moons
    clf = MLPClassifier((8,), random_state=0, max_iter=5).fit(X, y)
    far = X * 1e4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logp = clf.predict_log_proba(far)
    assert np.isfinite(logp).all()
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(clf.predict_proba(X)),
                               rtol=1e-9, atol=1e-12)
    Xi, yi = load_iris(return_X_y=True)
    multi = MLPClassifier((5,), max_iter=5, random_state=0).fit(Xi, yi)
    np.testing.assert_allclose(multi.predict_log_proba(Xi), np.log(multi.predict_proba(Xi)),
                               rtol=1e-9, atol=1e-12)


def test_sample_weight_weighs_the_loss(moons):
    X, y = moons
    w = np.where(y == "upper", 3.0, 1.0)
    kw = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0, batch_size=None)
    with pytest.warns(ConvergenceWarning):
        weighted = MLPClassifier(**kw).fit(X, y, sample_weight=w)
        repeated = MLPClassifier(**kw).fit(np.vstack([X] + [X[y == "upper"]] * 2),
                                           np.concatenate([y] + [y[y == "upper"]] * 2))
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=1e-10)
    for a, b in zip(weighted.coefs_, repeated.coefs_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-8)


def test_regressor_fits_one_or_several_outputs():
    X, y = make_regression(n_samples=200, n_features=5, n_targets=2, noise=1.0, random_state=0)
    y = y / y.std(axis=0)
    reg = MLPRegressor((32,), learning_rate_init=0.01, max_iter=300, random_state=0).fit(X, y)
    assert reg.predict(X).shape == (200, 2) and reg.score(X, y) > 0.95
    assert reg.out_activation_ == "identity" and reg.model_.layer_dims == [5, 32, 2]
    one = MLPRegressor((32,), learning_rate_init=0.01, max_iter=300, random_state=0,
                       early_stopping=True).fit(X, y[:, 0])
    assert one.predict(X).shape == (200,) and one.score(X, y[:, 0]) > 0.95
    assert one.best_validation_score_ == max(one.validation_scores_) > 0.9
    assert xpnet.MLPRegressor is MLPRegressor


def test_exported_lazily_and_import_xpnet_needs_no_sklearn():
    assert xpnet.MLPClassifier is MLPClassifier
    code = (
        "import sys; sys.modules['sklearn'] = None\n"
        "import xpnet\n"
        "assert callable(xpnet.train)\n"
        "try:\n"
        "    xpnet.MLPClassifier\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert 'pip install "xpnet[sklearn]"' in out.stdout
