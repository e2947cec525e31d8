"""The benchmark networks and their synthetic data.

The data has the shapes of the real sets (the course's cat images, MNIST) but is drawn at
random: uniform [0, 1) pixels and labels from a random linear teacher, so the timings do not
depend on a download. Timing does not depend on the values; see ``bench/README.md``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Case:
    """One benchmark network: layer sizes, examples and how it is trained."""

    id: str
    layer_dims: tuple[int, ...]
    m: int
    mini_batch_size: int | None  # None: full-batch gradient descent (one step per epoch)
    optimizer: str  # "gd" or "adam"
    learning_rate: float
    description: str
    batch_norm: bool = False  # every hidden layer batch-normalised (xpnet's runners only)

    @property
    def output(self) -> str:
        return "softmax" if self.layer_dims[-1] > 1 else "sigmoid"

    @property
    def activations(self) -> list[str]:
        return ["relu"] * (len(self.layer_dims) - 2) + [self.output]

    @property
    def batch(self) -> int:
        """The batch size actually used (``m`` for full batch)."""
        return self.m if self.mini_batch_size is None else min(self.mini_batch_size, self.m)

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.m // self.batch)

    @property
    def flops_per_epoch(self) -> int:
        """Matrix-product FLOPs of one epoch (2·m·n·k each): forward ``Z_l``, backward ``dW_l``
        and ``dA_{l-1}`` for l ≥ 2 (no gradient for X). Elementwise work is not counted."""
        pairs = list(zip(self.layer_dims[1:], self.layer_dims[:-1], strict=True))
        forward = sum(n * k for n, k in pairs)
        d_inputs = sum(n * k for n, k in pairs[1:])
        return 2 * self.m * (2 * forward + d_inputs)


CASES: dict[str, Case] = {
    c.id: c
    for c in (
        Case("cat", (12288, 20, 7, 5, 1), 209, None, "gd", 0.0075,
             "[12288, 20, 7, 5, 1] ReLU/sigmoid, 209 × 12288, full-batch GD"),
        Case("mnist-3v7", (784, 7, 1), 12396, 128, "adam", 0.001,
             "[784, 7, 1] ReLU/sigmoid, 12396 × 784, Adam, batches of 128"),
        Case("mnist-10", (784, 128, 64, 10), 60000, 128, "adam", 0.001,
             "[784, 128, 64, 10] ReLU/softmax, 60000 × 784, Adam, batches of 128"),
        Case("mnist-10-bn", (784, 128, 64, 10), 60000, 128, "adam", 0.001,
             "mnist-10 with batch norm on both hidden layers", batch_norm=True),
        Case("wide", (784, 1024, 1024, 10), 8192, 1024, "adam", 0.001,
             "[784, 1024, 1024, 10] ReLU/softmax, 8192 × 784, Adam, batches of 1024"),
    )
}

#: Tiny versions of the same structures, for a smoke run (``--quick``).
QUICK_CASES: dict[str, Case] = {
    "cat": Case("cat", (48, 8, 4, 3, 1), 40, None, "gd", 0.0075, "tiny cat"),
    "mnist-3v7": Case("mnist-3v7", (36, 7, 1), 100, 16, "adam", 0.001, "tiny mnist-3v7"),
    "mnist-10": Case("mnist-10", (36, 16, 8, 10), 120, 16, "adam", 0.001, "tiny mnist-10"),
    "mnist-10-bn": Case("mnist-10-bn", (36, 16, 8, 10), 120, 16, "adam", 0.001,
                        "tiny mnist-10 with batch norm", batch_norm=True),
    "wide": Case("wide", (36, 32, 32, 10), 96, 32, "adam", 0.001, "tiny wide"),
}


@dataclass(frozen=True)
class Data:
    """One synthetic training set, float32 on the host.

    ``rows`` is (m, n_x) C-contiguous (what PyTorch and JAX train on); ``X_course = rows.T`` is
    the course's (n_x, m) as its loaders make it, an F-contiguous view (``reshape(m, -1).T``);
    ``X`` is (n_x, m) C-contiguous, what xpnet is given. ``Y`` is (n_y, m): 0/1 labels or
    one-hot; ``labels`` are the class indices (m,).
    """

    rows: np.ndarray
    Y: np.ndarray
    labels: np.ndarray

    @property
    def X_course(self) -> np.ndarray:
        return self.rows.T

    @functools.cached_property
    def X(self) -> np.ndarray:
        return np.ascontiguousarray(self.rows.T)


@functools.lru_cache(maxsize=4)
def make_data(case: Case, seed: int = 0) -> Data:
    """Uniform [0, 1) inputs and labels from a random linear teacher (balanced classes)."""
    rng = np.random.default_rng(seed)
    rows = rng.random((case.m, case.layer_dims[0]), dtype=np.float32)
    n_y = case.layer_dims[-1]
    teacher = rng.standard_normal((case.layer_dims[0], max(n_y, 1))).astype(np.float32)
    scores = rows @ teacher
    scores -= scores.mean(axis=0)
    if n_y == 1:
        labels = (scores[:, 0] > 0).astype(np.int64)
        Y = labels[None, :].astype(np.float32)
    else:
        labels = np.argmax(scores, axis=1)
        Y = np.zeros((n_y, case.m), np.float32)
        Y[labels, np.arange(case.m)] = 1.0
    return Data(rows=rows, Y=Y, labels=labels)
