"""``MLPClassifier``: xpnet's L-layer networks behind scikit-learn's estimator API.

scikit-learn's layout is used at this boundary: ``X`` is (n_samples, n_features) and ``y``
holds one label per sample (integers or strings). Inside, ``X`` is transposed to the course
layout (n_x, m) and the labels become class indices (1, m) in ``np.unique`` order, so
``classes_[k]`` is class ``k``. Two classes train one sigmoid output; more train a softmax
output with one unit per class.

Needs scikit-learn (``pip install "xpnet[sklearn]"``); ``import xpnet`` does not.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as exc:  # pragma: no cover - exercised in a subprocess without sklearn
    raise ImportError(
        'xpnet.MLPClassifier needs scikit-learn >= 1.6: pip install "xpnet[sklearn]"'
    ) from exc

from .activations import ACTIVATIONS
from .training import train

_FLOATS = (np.float64, np.float32)
HIDDEN_ACTIVATIONS = tuple(name for name, cls in ACTIVATIONS.items() if not cls.output_only)


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
        X, y = validate_data(self, X, y, dtype=_FLOATS)
        check_classification_targets(y)
        classes, codes = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(
                f"MLPClassifier needs samples of at least two classes in y; got one class "
                f"({classes[0]!r})"
            )
        hidden = self._hidden_sizes()
        n_out = 1 if len(classes) == 2 else len(classes)
        self._check_settings()
        self.model_ = train(
            X.T, codes.reshape(1, -1), [X.shape[1], *hidden, n_out],
            activations=[self.activation] * len(hidden) + ["sigmoid" if n_out == 1 else "softmax"],
            optimizer=self.optimizer, learning_rate=self.learning_rate,
            num_epochs=self.max_iter, mini_batch_size=self._batch_size(X.shape[0]),
            init=self.init, lambd=self.alpha, keep_prob=self.keep_prob, seed=self._seed(),
            dtype=self.dtype, backend=self.backend, device=self.device,
            print_cost=bool(self.verbose), print_every=1,
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
    def _hidden_sizes(self) -> list[int]:
        raw: Any = self.hidden_layer_sizes
        try:
            sizes = [raw] if isinstance(raw, numbers.Integral) else list(raw)
        except TypeError:
            sizes = [raw]
        if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and int(n) > 0
                   for n in sizes):
            raise ValueError(
                f"hidden_layer_sizes must be a tuple of positive ints such as (20, 7, 5), got "
                f"{raw!r}"
            )
        return [int(n) for n in sizes]

    def _check_settings(self) -> None:
        """Errors that name this estimator's parameters (train() names its own ones)."""
        if self.activation not in HIDDEN_ACTIVATIONS:
            raise ValueError(
                f"activation={self.activation!r} is not a hidden-layer activation; expected one "
                f"of {', '.join(HIDDEN_ACTIVATIONS)}"
            )
        alpha = self.alpha
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not alpha >= 0:
            raise ValueError(f"alpha must be a number >= 0, got {alpha!r}")
        if (isinstance(self.max_iter, bool) or not isinstance(self.max_iter, numbers.Integral)
                or self.max_iter < 1):
            raise ValueError(f"max_iter must be an int >= 1, got {self.max_iter!r}")

    def _batch_size(self, n_samples: int) -> int | None:
        size = self.batch_size
        if size is None:
            return None
        if isinstance(size, str) and size == "auto":
            return min(200, n_samples)
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(f"batch_size must be 'auto', None or an int >= 1, got {size!r}")
        return int(size)

    def _seed(self) -> int | None:
        rs = self.random_state
        if rs is None or (isinstance(rs, numbers.Integral) and not isinstance(rs, bool)):
            return None if rs is None else int(rs)
        return int(check_random_state(rs).randint(np.iinfo(np.int32).max))

