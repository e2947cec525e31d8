"""xpnet: L-layer fully-connected networks (the deeplearning.ai course's maths) written once
against the Python Array API, so the same code trains on NumPy, CuPy, PyTorch, JAX and
array-api-strict.

    >>> import numpy as np, xpnet
    >>> X = np.random.default_rng(0).random((4, 100)); Y = (X[:1] > 0.5).astype(float)
    >>> model = xpnet.train(X, Y, [4, 5, 1], optimizer="adam", learning_rate=0.01, num_epochs=200)
    >>> model.evaluate(X, Y) > 0.9
    True
"""

from typing import TYPE_CHECKING, Any

from .activations import ACTIVATIONS, get_activation
from .backend import (
    BACKENDS,
    Backend,
    BackendUnavailableError,
    available_backends,
    get_backend,
    synchronize,
    to_numpy,
)
from .callbacks import StopTraining
from .files import ModelFileError
from .gradcheck import GradientCheck, gradient_check
from .initializers import initialize_parameters
from .losses import compute_cost
from .minibatches import random_mini_batches
from .model import Model, load
from .network import LayerCache, backward, forward
from .optimizers import GD, OPTIMIZERS, Adam, Momentum, Optimizer, RMSProp, get_optimizer
from .preprocessing import one_hot
from .rng import RandomState
from .schedules import ExponentialDecay, InverseTimeDecay
from .search import (
    Choice,
    IntUniform,
    LogUniform,
    OneMinusLogUniform,
    PowerOfTwo,
    SearchResult,
    Uniform,
    search,
)
from .streaming import DiskArray, Streaming
from .training import DivergenceError, train

if TYPE_CHECKING:
    from .estimator import MLPClassifier as MLPClassifier
    from .estimator import MLPRegressor as MLPRegressor

__version__ = "0.1.0"

__all__ = [
    "ACTIVATIONS",
    "BACKENDS",
    "Choice",
    "IntUniform",
    "LogUniform",
    "OneMinusLogUniform",
    "PowerOfTwo",
    "SearchResult",
    "Uniform",
    "DiskArray",
    "DivergenceError",
    "GD",
    "GradientCheck",
    "OPTIMIZERS",
    "Adam",
    "Backend",
    "BackendUnavailableError",
    "ExponentialDecay",
    "InverseTimeDecay",
    "LayerCache",
    "Model",
    "ModelFileError",
    "Momentum",
    "Optimizer",
    "RMSProp",
    "RandomState",
    "StopTraining",
    "Streaming",
    "available_backends",
    "backward",
    "compute_cost",
    "forward",
    "get_activation",
    "get_backend",
    "get_optimizer",
    "gradient_check",
    "initialize_parameters",
    "load",
    "one_hot",
    "random_mini_batches",
    "search",
    "synchronize",
    "to_numpy",
    "train",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """``xpnet.MLPClassifier`` and ``xpnet.MLPRegressor`` are imported on first use: only they
    need scikit-learn."""
    if name in ("MLPClassifier", "MLPRegressor"):
        from . import estimator

        return getattr(estimator, name)
    raise AttributeError(f"module 'xpnet' has no attribute {name!r}")
