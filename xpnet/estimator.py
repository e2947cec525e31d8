"""``MLPClassifier``: xpnet's L-layer networks behind scikit-learn's estimator API.

scikit-learn's layout is used at this boundary: ``X`` is (n_samples, n_features) and ``y``
holds one label per sample (integers or strings). Inside, ``X`` is transposed to the course
layout (n_x, m) and the labels become class indices (1, m) in ``np.unique`` order, so
``classes_[k]`` is class ``k``. Two classes train one sigmoid output; more train a softmax
output with one unit per class.

Needs scikit-learn (``pip install "xpnet[sklearn]"``); ``import xpnet`` does not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.utils._param_validation import (
        InvalidParameterError,
    )
    from sklearn.utils.multiclass import (
        check_classification_targets,
    )
    from sklearn.utils.validation import (
        check_is_fitted,
        validate_data,
    )
except ImportError as exc:  # pragma: no cover - exercised in a subprocess without sklearn
    raise ImportError(
        'xpnet.MLPClassifier needs scikit-learn >= 1.6: pip install "xpnet[sklearn]"'
    ) from exc

from .activations import ACTIVATIONS
from .backend import DTYPES, normalize_backend_name
from .initializers import INITS
from .optimizers import OPTIMIZERS, Optimizer
from .training import train
from .validation import (
    check_choice,
    check_int,
    check_int_or,
    check_keep_prob,
    check_nonnegative,
    check_positive,
    check_seed,
)

_FLOATS = (np.float64, np.float32)
HIDDEN_ACTIVATIONS = tuple(name for name, cls in ACTIVATIONS.items() if not cls.output_only)


# -- the checks of the hyperparameters ----------------------------------------------------------


def _check_hidden_layer_sizes(value: Any) -> list[int]:
    """One int, or a tuple (any iterable) of ints, each >= 1; ``()`` is logistic regression."""
    if isinstance(value, str):
        raise TypeError(
            f"hidden_layer_sizes must be an int or a tuple of ints such as (20, 7, 5), "
            f"got {value!r}"
        )
    if isinstance(value, Iterable):
        return [check_int(f"hidden_layer_sizes[{i}]", n, minimum=1) for i, n in enumerate(value)]
    return [check_int("hidden_layer_sizes", value, minimum=1)]


def _check_optimizer(value: Any) -> Any:
    return value if isinstance(value, Optimizer) else check_choice("optimizer", value, OPTIMIZERS)


def _check_backend(value: Any) -> Any:
    # A name is checked here; a namespace or Backend by train, which resolves it.
    return normalize_backend_name(value) if isinstance(value, str) else value


def _check_dtype(value: Any) -> Any:
    # A name is checked here; a NumPy or backend dtype by train, which resolves it.
    return check_choice("dtype", value, DTYPES, what="supported") if isinstance(value, str) else value


def _seed_of(value: Any) -> int | None:
    """``random_state`` as train's seed: ``None``, an int >= 0, or an int drawn from a NumPy
    ``RandomState`` (as scikit-learn's estimators take it)."""
    if isinstance(value, np.random.RandomState):
        return int(value.randint(np.iinfo(np.int32).max))
    return check_seed("random_state", value)


def _checked_by_train(value: Any) -> Any:
    # device: only the backend's library can tell; train checks it and names it.
    return value


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """A fully-connected classifier trained by :func:`xpnet.train`, on any xpnet backend.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, or int
        Units of each hidden layer; ``()`` gives logistic (softmax) regression.
    activation : str
        Hidden-layer activation: ``"relu"``, ``"leaky_relu"``, ``"tanh"``, ``"sigmoid"`` or
        ``"linear"``.
    optimizer : str
        ``"adam"``, ``"gd"``, ``"momentum"`` or ``"rmsprop"`` (scikit-learn's ``solver``).
    learning_rate : float
        The optimizer's step size (scikit-learn's MLPClassifier calls it ``learning_rate_init``).
    max_iter : int
        Epochs: passes over the training set. Training always runs all of them.
    batch_size : int, "auto" or None
        Mini-batch size; ``"auto"`` is ``min(200, n_samples)``, ``None`` the full batch.
    alpha : float
        L2 strength: the course's ``lambd``, the cost gains ``alpha/(2m)·Σ‖W_l‖²``.
    keep_prob : float
        Inverted-dropout keep probability of the hidden units (1 = no dropout).
    init : str
        Weight initialisation: ``"he"``, ``"xavier"``, ``"random"`` or ``"zeros"``.
    random_state : int, numpy RandomState or None
        Seed of the initial weights, batch order and dropout masks; an int gives the same
        run on every backend.
    backend, device : str or None
        Where to train: ``"numpy"``, ``"cupy"``, ``"torch"``, ``"jax"``, ``"array_api_strict"``,
        and a device of that library (``"cuda:0"``).
    dtype : str
        ``"float64"`` (the default, as in scikit-learn's own MLPClassifier) or ``"float32"``
        (faster; predictions then agree across batch sizes only to float32 round-off): the
        precision of training and prediction.
    verbose : bool
        Print the cost after every epoch.

    Attributes
    ----------
    classes_ : ndarray (n_classes,)
        The labels, sorted; column ``k`` of :meth:`predict_proba` is ``classes_[k]``.
    model_ : xpnet.Model
        The trained network, its class names in ``model_.config["classes"]``
        (``model_.save(path)`` writes it for ``xpnet info``).
    loss_curve_ : list of float
        The cost of every epoch.
    n_iter_ : int
        Epochs run.
    n_features_in_, feature_names_in_
        As everywhere in scikit-learn.
    """

    #: Every hyperparameter and its check, which returns the value to train with. The checks
    #: are xpnet's own (the messages of ``xpnet.train``); a bad value raises scikit-learn's
    #: ``InvalidParameterError``, a ``ValueError`` and a ``TypeError``, as its estimators do.
    _parameter_checks: ClassVar[dict[str, Callable[[Any], Any]]] = {
        "hidden_layer_sizes": _check_hidden_layer_sizes,
        "activation": lambda v: check_choice("activation", v, HIDDEN_ACTIVATIONS,
                                             what="a hidden-layer activation"),
        "optimizer": _check_optimizer,
        "learning_rate": lambda v: check_positive("learning_rate", v),
        "max_iter": lambda v: check_int("max_iter", v, minimum=1),
        "batch_size": lambda v: check_int_or("batch_size", v, 1, ("auto", None)),
        "alpha": lambda v: check_nonnegative("alpha", v),
        "keep_prob": check_keep_prob,
        "init": lambda v: check_choice("init", v, INITS),
        "random_state": _seed_of,
        "backend": _check_backend,
        "device": _checked_by_train,
        "dtype": _check_dtype,
        "verbose": bool,
    }

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] | int = (100,),
        activation: str = "relu",
        *,
        optimizer: str = "adam",
        learning_rate: float = 0.001,
        max_iter: int = 200,
        batch_size: int | str | None = "auto",
        alpha: float = 0.0001,
        keep_prob: float = 1.0,
        init: str = "he",
        random_state: Any = None,
        backend: str = "numpy",
        device: Any = None,
        dtype: str = "float64",
        verbose: bool = False,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.alpha = alpha
        self.keep_prob = keep_prob
        self.init = init
        self.random_state = random_state
        self.backend = backend
        self.device = device
        self.dtype = dtype
        self.verbose = verbose

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Train on ``X`` (n_samples, n_features) and labels ``y`` (n_samples,)."""
        p = self._checked_params()
        X, y = validate_data(self, X, y, dtype=_FLOATS)
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"MLPClassifier needs samples of at least two classes in y; got one class "
                f"({classes[0]!r})"
            )
        hidden = p["hidden_layer_sizes"]
        n_out = 1 if len(classes) == 2 else len(classes)
        batch = p["batch_size"]
        if batch == "auto":
            batch = min(200, X.shape[0])
        self.model_ = train(
            X.T, codes.reshape(1, -1), [X.shape[1], *hidden, n_out],
            activations=[p["activation"]] * len(hidden) + ["sigmoid" if n_out == 1 else "softmax"],
            optimizer=p["optimizer"], learning_rate=p["learning_rate"],
            num_epochs=p["max_iter"], mini_batch_size=batch,
            init=p["init"], lambd=p["alpha"], keep_prob=p["keep_prob"], seed=p["random_state"],
            dtype=p["dtype"], backend=p["backend"], device=p["device"],
            print_cost=p["verbose"], print_every=1,
        )
        self.model_.config["classes"] = [str(c) for c in classes.tolist()]  # for `xpnet info`
        self.classes_ = classes
        self.loss_curve_ = list(self.model_.costs)
        self.n_iter_ = len(self.loss_curve_)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n_samples, n_classes), columns in the order of ``classes_``."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=_FLOATS)
        P = np.asarray(self.model_.predict_proba(X.T), dtype=np.float64)
        if P.shape[0] == 1:
            P = np.concatenate([1.0 - P, P], axis=0)
        return P.T

    def predict(self, X: Any) -> np.ndarray:
        """The most probable label of each sample, (n_samples,), from ``classes_``."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    # -- settings -------------------------------------------------------------------------------
    def _checked_params(self) -> dict[str, Any]:
        """Every hyperparameter through its check in :attr:`_parameter_checks`."""
        checked = {}
        for name, check in self._parameter_checks.items():
            try:
                checked[name] = check(getattr(self, name))
            except (TypeError, ValueError) as exc:
                raise InvalidParameterError(str(exc)) from None
        return checked
