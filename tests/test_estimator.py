"""xpnet.MLPClassifier against scikit-learn's own estimator checks and conventions."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

import xpnet

pytest.importorskip("sklearn")

from sklearn.datasets import load_iris, make_moons  # noqa: E402
from sklearn.model_selection import cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from xpnet.estimator import MLPClassifier  # noqa: E402

#: Checks of scikit-learn's suite this estimator is expected to fail, with the reason. Empty:
#: every check passes (check_classifier_data_not_an_array skips itself without pandas).
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


@parametrize_with_checks([MLPClassifier()],
                         expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def moons():
    X, y = make_moons(n_samples=300, noise=0.15, random_state=0)
    return X, np.where(y == 1, "upper", "lower")


def test_binary_string_labels(moons):
    X, y = moons
    clf = MLPClassifier((16, 8), learning_rate=0.01, max_iter=150, random_state=0).fit(X, y)
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
                        MLPClassifier((10,), learning_rate=0.01, max_iter=300, random_state=0))
    clf.fit(X, names)
    mlp = clf[-1]
    assert mlp.model_.layer_dims == [4, 10, 3]
    assert mlp.model_.activations[-1] == "softmax"
    assert clf.score(X, names) > 0.95
    assert clf.predict_proba(X).shape == (150, 3)


def test_cross_val_score_in_a_pipeline(moons):
    X, y = moons
    pipe = make_pipeline(StandardScaler(),
                         MLPClassifier((16,), learning_rate=0.01, max_iter=100, random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.min() > 0.85


def test_get_set_params_map_to_train(moons):
    X, y = moons
    clf = MLPClassifier(random_state=0)
    clf.set_params(hidden_layer_sizes=5, alpha=0.5, batch_size=None, max_iter=3,
                   optimizer="gd", learning_rate=0.1)
    assert clf.get_params()["alpha"] == 0.5
    clf.fit(X, y)
    assert clf.model_.layer_dims == [2, 5, 1]
    cfg = clf.model_.config
    assert (cfg["lambd"], cfg["mini_batch_size"], cfg["optimizer"], cfg["learning_rate"]) == (
        0.5, 300, "gd", 0.1)
    assert MLPClassifier(max_iter=1).fit(X, y).model_.config["mini_batch_size"] == 200


def test_same_random_state_same_model_on_another_backend(moons):
    X, y = moons
    kwargs = dict(hidden_layer_sizes=(8,), max_iter=20, learning_rate=0.01, random_state=3,
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
    ({"optimizer": "adamw"}, "optimizer='adamw' is not known"),
    ({"learning_rate": 0.0}, "learning_rate must be > 0"),
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


def test_every_parameter_has_one_check():
    assert set(MLPClassifier._parameter_checks) == set(MLPClassifier().get_params())


def test_a_numpy_random_state_seeds_the_run(moons):
    X, y = moons
    kwargs = dict(hidden_layer_sizes=(4,), max_iter=3)
    a = MLPClassifier(random_state=np.random.RandomState(7), **kwargs).fit(X, y)
    b = MLPClassifier(random_state=np.random.RandomState(7), **kwargs).fit(X, y)
    assert a.loss_curve_ == b.loss_curve_


def test_one_class_is_refused():
    with pytest.raises(ValueError, match="at least two classes"):
        MLPClassifier().fit(np.ones((4, 2)), ["a"] * 4)


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
