"""``MLPClassifier`` and ``MLPRegressor``: xpnet's L-layer networks behind scikit-learn's
estimator API, with the parameters and fitted attributes of scikit-learn's own
``sklearn.neural_network`` estimators wherever they mean the same thing.

scikit-learn's layout is used at this boundary: ``X`` is (n_samples, n_features) and ``y``
holds one label per sample (integers or strings) or one target (row) per sample. Inside,
``X`` is transposed to the course layout (n_x, m) and the labels become class indices (1, m)
in ``np.unique`` order, so ``classes_[k]`` is class ``k``. Two classes train one sigmoid
output; more train a softmax output with one unit per class; regression a linear output.

Needs scikit-learn (``pip install "xpnet[sklearn]"``); ``import xpnet`` does not.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any, ClassVar

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils._param_validation import (
        InvalidParameterError,
    )
    from sklearn.utils.multiclass import (
        check_classification_targets,
    )
    from sklearn.utils.validation import (
        _check_sample_weight,
        check_is_fitted,
        validate_data,
    )
except ImportError as exc:  # pragma: no cover - exercised in a subprocess without sklearn
    raise ImportError(
        'xpnet.MLPClassifier and xpnet.MLPRegressor need scikit-learn >= 1.6: pip install "xpnet[sklearn]"'
    ) from exc

from .activations import ACTIVATIONS
from .backend import DTYPES, normalize_backend_name, to_numpy
from .evaluation import split_indices
from .initializers import INITS
from .model import Model
from .network import forward
from .optimizers import GD, Adam, Momentum, Optimizer, RMSProp
from .rng import RandomState
from .training import train
from .validation import (
    check_choice,
    check_fraction,
    check_int,
    check_int_or,
    check_keep_prob,
    check_nonnegative,
    check_positive,
    check_seed,
    check_unit_interval,
)

_FLOATS = (np.float64, np.float32)
#: scikit-learn's names of activations, and xpnet's own
SKLEARN_ACTIVATIONS = {"logistic": "sigmoid", "identity": "linear"}
HIDDEN_ACTIVATIONS = (*SKLEARN_ACTIVATIONS,
                      *(name for name, cls in ACTIVATIONS.items() if not cls.output_only))
#: ``solver``: scikit-learn's ``"adam"`` and ``"sgd"`` (with ``momentum``), and RMSProp
SOLVERS = ("adam", "sgd", "rmsprop")
#: ``init`` that draws the initial weights and biases as scikit-learn's MLPs do
GLOROT = "glorot_uniform"


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


def _check_solver(value: Any) -> str:
    if value == "lbfgs":
        raise ValueError("solver='lbfgs' is not available in xpnet (a full-batch quasi-Newton "
                         "method); use 'adam' or 'sgd'")
    return check_choice("solver", value, SOLVERS)


def _check_validation_fraction(value: Any) -> float:
    value = check_fraction("validation_fraction", value)
    if value >= 1.0:
        raise ValueError(f"validation_fraction must be in (0, 1), got {value}")
    return value


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


_PARAMS_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : tuple of int, or int
        Units of each hidden layer; ``()`` gives a linear model (logistic/softmax regression,
        or least squares).
    activation : str
        Hidden-layer activation: scikit-learn's ``"relu"``, ``"tanh"``, ``"logistic"``,
        ``"identity"``, or xpnet's ``"leaky_relu"``, ``"sigmoid"``, ``"linear"``.
    solver : str
        ``"adam"``, ``"sgd"`` (gradient descent with classical momentum ``momentum``, the same
        trajectory as scikit-learn's ``nesterovs_momentum=False``) or ``"rmsprop"``.
        scikit-learn's ``"lbfgs"`` is not available.
    alpha : float
        L2 strength: the cost gains ``alpha/(2·Σw)·Σ‖W_l‖²`` per batch (Σw: the batch's
        weight, its size without ``sample_weight``), as in scikit-learn.
    batch_size : int, "auto" or None
        Mini-batch size; ``"auto"`` is ``min(200, n_samples)``, ``None`` the full batch.
    learning_rate_init : float
        The step size.
    max_iter : int
        Most epochs (passes over the training set); fewer when training converges.
    shuffle : bool
        Reshuffle the samples every epoch.
    random_state : int, numpy RandomState or None
        Seed of the initial weights, batch order, dropout masks and validation split; an int
        gives the same run on every backend.
    tol, n_iter_no_change : float, int
        Convergence, scikit-learn's rule: training stops when the training loss (or, with
        ``early_stopping``, the validation score) has not improved by more than ``tol`` for
        more than ``n_iter_no_change`` consecutive epochs.
    verbose : bool
        Print the loss (and validation score) after every epoch.
    warm_start : bool
        ``fit`` starts from the previous fit's weights (with a fresh optimizer).
    momentum : float
        Momentum of ``solver="sgd"`` (0 is plain gradient descent).
    early_stopping : bool
        Hold out ``validation_fraction`` of the training data (stratified for classification)
        and stop when its score (accuracy, or R² for regression) stops improving; the best
        epoch's weights are kept.
    validation_fraction : float
        The share held out for ``early_stopping``.
    beta_1, beta_2, epsilon : float
        Adam's (``beta_2`` and ``epsilon`` are RMSProp's too).
    keep_prob : float
        xpnet: inverted-dropout keep probability of the hidden units (1 = no dropout).
    init : str
        ``"glorot_uniform"``: scikit-learn's initial weights and biases (uniform in
        ±√(6/(fan_in + fan_out)), 2 instead of 6 for logistic hidden layers); or xpnet's
        ``"he"``, ``"xavier"``, ``"random"``, ``"zeros"`` (biases at 0).
    backend, device : str or None
        xpnet: where to train, ``"numpy"``, ``"cupy"``, ``"torch"``, ``"jax"``,
        ``"array_api_strict"``, and a device of that library (``"cuda:0"``).
    dtype : str
        xpnet: ``"float64"`` (the default, as in scikit-learn) or ``"float32"`` (faster).

    Attributes
    ----------
    model_ : xpnet.Model
        The trained network (``model_.save(path)`` writes it for ``xpnet info``).
    coefs_, intercepts_ : lists of ndarray
        scikit-learn's layout: ``coefs_[i]`` is (n_in, n_out), the course's ``W.T``;
        ``intercepts_[i]`` is (n_out,).
    loss_, loss_curve_ : float, list of float
        The training loss of the last epoch, and of every epoch (across warm starts).
    best_loss_ : float or None
        The lowest training loss (``None`` with ``early_stopping``).
    validation_scores_, best_validation_score_ : list of float or None, float or None
        The validation score of every epoch and the best one (with ``early_stopping``).
    n_iter_ : int
        Epochs run by the last ``fit`` (1 for ``partial_fit``).
    t_ : int
        Training samples seen by the optimizer, over all calls.
    n_layers_, n_outputs_, out_activation_, n_features_in_, feature_names_in_
        As in scikit-learn.
"""


class _BaseMLP(BaseEstimator):
    """What :class:`MLPClassifier` and :class:`MLPRegressor` share: the parameters, their
    checks, training through :func:`xpnet.train` and scikit-learn's fitted attributes."""

    #: Every hyperparameter and its check, which returns the value to train with. The checks
    #: are xpnet's own (the messages of ``xpnet.train``); a bad value raises scikit-learn's
    #: ``InvalidParameterError``, a ``ValueError`` and a ``TypeError``, as its estimators do.
    _parameter_checks: ClassVar[dict[str, Callable[[Any], Any]]] = {
        "hidden_layer_sizes": _check_hidden_layer_sizes,
        "activation": lambda v: check_choice("activation", v, HIDDEN_ACTIVATIONS,
                                             what="a hidden-layer activation"),
        "solver": _check_solver,
        "alpha": lambda v: check_nonnegative("alpha", v),
        "batch_size": lambda v: check_int_or("batch_size", v, 1, ("auto", None)),
        "learning_rate_init": lambda v: check_positive("learning_rate_init", v),
        "max_iter": lambda v: check_int("max_iter", v, minimum=1),
        "shuffle": bool,
        "random_state": _seed_of,
        "tol": lambda v: check_nonnegative("tol", v),
        "verbose": bool,
        "warm_start": bool,
        "momentum": lambda v: check_unit_interval("momentum", v),
        "early_stopping": bool,
        "validation_fraction": _check_validation_fraction,
        "beta_1": lambda v: check_unit_interval("beta_1", v),
        "beta_2": lambda v: check_unit_interval("beta_2", v),
        "epsilon": lambda v: check_positive("epsilon", v),
        "n_iter_no_change": lambda v: check_int("n_iter_no_change", v, minimum=1),
        "keep_prob": check_keep_prob,
        "init": lambda v: check_choice("init", v, (GLOROT, *INITS)),
        "backend": _check_backend,
        "device": _checked_by_train,
        "dtype": _check_dtype,
    }

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] | int = (100,),
        activation: str = "relu",
        *,
        solver: str = "adam",
        alpha: float = 0.0001,
        batch_size: int | str | None = "auto",
        learning_rate_init: float = 0.001,
        max_iter: int = 200,
        shuffle: bool = True,
        random_state: Any = None,
        tol: float = 1e-4,
        verbose: bool = False,
        warm_start: bool = False,
        momentum: float = 0.9,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        n_iter_no_change: int = 10,
        keep_prob: float = 1.0,
        init: str = "glorot_uniform",
        backend: str = "numpy",
        device: Any = None,
        dtype: str = "float64",
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.keep_prob = keep_prob
        self.init = init
        self.backend = backend
        self.device = device
        self.dtype = dtype

    #: the output layer's activation and the validation metric of ``train``
    _output: ClassVar[str] = ""
    _metric: ClassVar[str] = ""
    # fitted attributes (set by fit)
    model_: Model
    classes_: np.ndarray
    validation_scores_: list[float] | None
    best_validation_score_: float | None
    best_loss_: float | None

    # -- training ---------------------------------------------------------------------------
    def _train(self, X: np.ndarray, Y: np.ndarray, n_out: int, sample_weight: Any, *,
               incremental: bool) -> None:
        """Train on ``X`` (n_samples, n_features) and course-layout targets ``Y`` (·, m):
        from scratch, or on from the current weights (``warm_start``, ``partial_fit``)."""
        p = self._checked_params()
        if incremental and p["early_stopping"]:
            raise ValueError("partial_fit does not support early_stopping=True")
        go_on = hasattr(self, "model_") and (incremental or p["warm_start"])
        if not go_on:
            self.loss_curve_: list[float] = []
            self.t_ = 0
            self._seed = p["random_state"]
        hidden = p["hidden_layer_sizes"]
        act = SKLEARN_ACTIVATIONS.get(p["activation"], p["activation"])
        if not (incremental and go_on and hasattr(self, "_optimizer")):
            self._optimizer = self._make_optimizer(p)
        m = X.shape[0]
        batch = p["batch_size"]
        batch = min(200, m) if batch == "auto" else batch
        # scikit-learn divides the L2 term by the batch's weight; train divides it by the
        # batch's size and normalises the weights to mean 1: the same, once alpha is rescaled
        alpha = p["alpha"]
        if sample_weight is not None and alpha:
            alpha *= m / float(np.sum(sample_weight))
        # a run that goes on draws a new batch order: the seed moves with the samples seen
        seed = None if self._seed is None else (self._seed + self.t_) % 2**32
        es = p["early_stopping"]
        model = train(
            X.T, Y, [X.shape[1], *hidden, n_out],
            activations=[act] * len(hidden) + [self._output_for(n_out)],
            optimizer=self._optimizer, learning_rate=None,
            num_epochs=1 if incremental else p["max_iter"], mini_batch_size=batch,
            init="he" if p["init"] == GLOROT else p["init"],  # train's, unused with params
            params=self.model_.params if go_on else self._glorot(p, X.shape[1], n_out, seed),
            lambd=alpha, keep_prob=p["keep_prob"], seed=seed, dtype=p["dtype"],
            backend=p["backend"], device=p["device"], shuffle=p["shuffle"],
            verbose=2 if p["verbose"] else 0, sample_weight=sample_weight,
            early_stopping=not incremental, n_iter_no_change=p["n_iter_no_change"],
            tol=p["tol"], validation_split=p["validation_fraction"] if es else None,
            monitor=f"val_{self._metric}" if es else "cost", restore_best=es,
        )
        self.model_ = model
        self._optimizer = model.optimizer  # train works on a copy: go on from its state
        if not go_on:
            model.config["init"] = p["init"]
        self.n_iter_ = len(model.costs)
        self.t_ += self.n_iter_ * (_train_size(m, p["validation_fraction"], Y, self._output_for(
            n_out)) if es else m)
        self.loss_curve_ = [*self.loss_curve_, *model.costs]
        self.loss_ = self.loss_curve_[-1]
        if es:
            self.validation_scores_ = list(model.history[f"val_{self._metric}"])
            self.best_validation_score_ = max(self.validation_scores_)
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = min(self.loss_curve_)
        params = model.params_numpy()
        L = len(hidden) + 1
        self.coefs_ = [np.asarray(params[f"W{l}"]).T.copy() for l in range(1, L + 1)]
        self.intercepts_ = [np.asarray(params[f"b{l}"])[:, 0].copy() for l in range(1, L + 1)]
        self.n_layers_ = L + 1
        self.n_outputs_ = n_out
        self.out_activation_ = {"sigmoid": "logistic", "linear": "identity"}.get(
            self._output_for(n_out), "softmax")
        if not incremental and self.n_iter_ == p["max_iter"] and not model.config["stopped_early"]:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({p['max_iter']}) reached "
                          "and the optimization hasn't converged yet.", ConvergenceWarning,
                          stacklevel=4)

    def _glorot(self, p: dict[str, Any], n_in: int, n_out: int, seed: int | None) -> Any:
        """scikit-learn's initial weights and biases, for ``init="glorot_uniform"``: uniform
        in ±√(f/(fan_in + fan_out)), f = 2 for logistic hidden layers, else 6; ``None`` for
        xpnet's own initialisations (``train`` draws them)."""
        if p["init"] != GLOROT:
            return None
        dims = [n_in, *p["hidden_layer_sizes"], n_out]
        factor = 2.0 if p["activation"] in ("logistic", "sigmoid") else 6.0
        rng = RandomState(seed)
        params = {}
        for l in range(1, len(dims)):
            bound = (factor / (dims[l - 1] + dims[l])) ** 0.5
            params[f"W{l}"] = rng.uniform(-bound, bound, (dims[l], dims[l - 1]))
            params[f"b{l}"] = rng.uniform(-bound, bound, (dims[l], 1))
        return params

    def _make_optimizer(self, p: dict[str, Any]) -> Optimizer:
        lr = p["learning_rate_init"]
        if p["solver"] == "adam":
            return Adam(lr, beta1=p["beta_1"], beta2=p["beta_2"], epsilon=p["epsilon"])
        if p["solver"] == "rmsprop":
            return RMSProp(lr, beta=p["beta_2"], epsilon=p["epsilon"])
        if p["momentum"] == 0.0:
            return GD(lr)
        # scikit-learn's u = μu − η·g, P += u is the course's v = μv + (1 − μ)·g, P −= lr·v
        # with lr = η/(1 − μ): the same steps
        return Momentum(lr / (1.0 - p["momentum"]), beta=p["momentum"])

    def _output_for(self, n_out: int) -> str:
        return self._output

    def _sample_weight(self, sample_weight: Any, X: np.ndarray) -> Any:
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)

    # -- inference ---------------------------------------------------------------------------
    def _outputs(self, X: Any) -> np.ndarray:
        """The network's outputs (n_samples, n_out) in float64."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=_FLOATS)
        return np.asarray(self.model_.predict_proba(X.T), dtype=np.float64).T

    # -- settings -----------------------------------------------------------------------------
    def _checked_params(self) -> dict[str, Any]:
        """Every hyperparameter through its check in :attr:`_parameter_checks`."""
        checked = {}
        for name, check in self._parameter_checks.items():
            try:
                checked[name] = check(getattr(self, name))
            except (TypeError, ValueError) as exc:
                raise InvalidParameterError(str(exc)) from None
        return checked


def _train_size(m: int, fraction: float, Y: np.ndarray, output: str) -> int:
    """The examples left for training after ``train``'s validation split."""
    labels = Y[0].astype(int).tolist() if output != "linear" else None
    return len(split_indices(m, fraction, labels, RandomState(0))[0])


class MLPClassifier(ClassifierMixin, _BaseMLP):
    __doc__ = ("""A fully-connected classifier trained by :func:`xpnet.train`, on any xpnet
    backend, with the parameters and attributes of scikit-learn's ``MLPClassifier``.
""" + _PARAMS_DOC + """    classes_ : ndarray (n_classes,)
        The labels, sorted; column ``k`` of :meth:`predict_proba` is ``classes_[k]``.
""")

    _output = "softmax"
    _metric = "accuracy"

    def _output_for(self, n_out: int) -> str:
        return "sigmoid" if n_out == 1 else "softmax"

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPClassifier:
        """Train on ``X`` (n_samples, n_features) and labels ``y`` (n_samples,)."""
        return self._fit(X, y, sample_weight, classes=None, incremental=False)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None,
                    classes: Any = None) -> MLPClassifier:
        """One epoch on ``X``, ``y`` from the current weights and optimizer state; the first
        call needs ``classes``, every label that any call will see."""
        return self._fit(X, y, sample_weight, classes=classes, incremental=True)

    def _fit(self, X: Any, y: Any, sample_weight: Any, *, classes: Any,
             incremental: bool) -> MLPClassifier:
        self._checked_params()
        first = not hasattr(self, "classes_") or not (incremental or self.warm_start)
        X, y = validate_data(self, X, y, dtype=_FLOATS, reset=first)
        check_classification_targets(y)
        if incremental and first:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit: "
                                 "every label that any call will see")
            known = np.unique(np.asarray(classes))
        elif first:
            known = np.unique(y)
        else:
            known = self.classes_
        if not np.all(np.isin(y, known)):
            unknown = sorted(set(np.unique(y).tolist()) - set(known.tolist()))
            raise ValueError(f"y holds labels {unknown} that are not in classes_ "
                             f"{known.tolist()} (fixed by the first fit or partial_fit)")
        if len(known) < 2:
            raise ValueError(
                f"MLPClassifier needs samples of at least two classes in y; got one class "
                f"({known[0]!r})"
            )
        codes = np.searchsorted(known, y)
        n_out = 1 if len(known) == 2 else len(known)
        self.classes_ = known
        self._train(X, codes.reshape(1, -1), n_out, self._sample_weight(sample_weight, X),
                    incremental=incremental)
        self.model_.config["classes"] = [str(c) for c in known.tolist()]  # for `xpnet info`
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n_samples, n_classes), columns in the order of ``classes_``."""
        P = self._outputs(X)
        return np.concatenate([1.0 - P, P], axis=1) if P.shape[1] == 1 else P

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """``log(predict_proba(X))``, computed from the logits: finite where a probability
        rounds to 0, and no warning."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=_FLOATS)
        model = self.model_
        Xd = model._backend.asarray(X.T, dtype=model.dtype)
        _, caches = forward(Xd, model.params, list(model.architecture.acts))
        Z = np.asarray(to_numpy(caches[-1].Z), dtype=np.float64).T
        if Z.shape[1] == 1:  # log σ(z) = min(z, 0) − log1p(e^{−|z|}), log(1 − σ(z)) likewise
            soft = np.log1p(np.exp(-np.abs(Z)))
            return np.concatenate([np.minimum(-Z, 0) - soft, np.minimum(Z, 0) - soft], axis=1)
        zmax = Z.max(axis=1, keepdims=True)
        return Z - zmax - np.log(np.exp(Z - zmax).sum(axis=1, keepdims=True))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable label of each sample, (n_samples,), from ``classes_``."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):
    __doc__ = ("""A fully-connected regressor trained by :func:`xpnet.train` (a linear output,
    half squared error), on any xpnet backend, with the parameters and attributes of
    scikit-learn's ``MLPRegressor``. ``y`` is (n_samples,) or (n_samples, n_outputs).
""" + _PARAMS_DOC)

    _output = "linear"
    _metric = "r2"

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # y may be (n_samples, n_outputs)
        return tags

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Train on ``X`` (n_samples, n_features) and targets ``y``."""
        return self._fit(X, y, sample_weight, incremental=False)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One epoch on ``X``, ``y`` from the current weights and optimizer state."""
        return self._fit(X, y, sample_weight, incremental=True)

    def _fit(self, X: Any, y: Any, sample_weight: Any, *, incremental: bool) -> MLPRegressor:
        self._checked_params()
        first = not hasattr(self, "model_") or not (incremental or self.warm_start)
        X, y = validate_data(self, X, y, dtype=_FLOATS, reset=first, multi_output=True,
                             y_numeric=True)
        Y = np.asarray(y, dtype=np.float64)
        Y = Y.reshape(1, -1) if Y.ndim == 1 else Y.T
        if not first and Y.shape[0] != self.n_outputs_:
            raise ValueError(f"y has {Y.shape[0]} outputs but the model was fitted with "
                             f"{self.n_outputs_}")
        if first:
            self._y_1d = np.ndim(y) == 1
        self._train(X, Y, Y.shape[0], self._sample_weight(sample_weight, X),
                    incremental=incremental)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The predicted targets, (n_samples,) when ``y`` was 1-D, else (n_samples, n_outputs)."""
        P = self._outputs(X)
        return P[:, 0] if self._y_1d else P
