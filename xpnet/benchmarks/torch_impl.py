"""PyTorch baselines: eager (``nn.Sequential`` + ``torch.optim``) and ``torch.compile``.

Same maths as xpnet: the same initial weights (xpnet's ``he`` initialisation, same seed),
ReLU hidden layers, a sigmoid (``BCEWithLogitsLoss``) or softmax (``CrossEntropyLoss``) output
on the mean over the batch, plain SGD or Adam (β1 0.9, β2 0.999, ε 1e-8), float32, and the same
batch order (a permutation from the host RNG per epoch, moved to the device once). The data
is on the device as (m, n_x) rows; each batch is an ``index_select``; the epoch's cost is
summed on the device and read once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..initializers import initialize_parameters
from ..rng import RandomState
from .cases import Case, make_data
from .harness import Unavailable


def import_torch(threads: int) -> Any:
    try:
        import torch
    except ImportError:
        raise Unavailable("torch is not installed (CPU build: pip install torch==2.13.0)") from None
    torch.set_num_threads(threads)
    return torch


class TorchRunner:
    """``nn.Sequential`` trained by ``torch.optim``; ``compile=True`` compiles the model with
    its loss (forward and backward) and the optimizer step with ``torch.compile``."""

    def __init__(self, case: Case, threads: int, *, device: str = "cpu", compile: bool = False,
                 seed: int = 0) -> None:
        torch = self.torch = import_torch(threads)
        nn = torch.nn
        self.device = torch.device(device)
        data = make_data(case, seed)
        self.rng = RandomState(seed)
        params = initialize_parameters(list(case.layer_dims), "he", seed=self.rng,
                                       dtype="float32")
        layers: list[Any] = []
        L = len(case.layer_dims) - 1
        for i in range(1, L + 1):
            linear = nn.Linear(case.layer_dims[i - 1], case.layer_dims[i])
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(params[f"W{i}"]))
                linear.bias.copy_(torch.from_numpy(params[f"b{i}"][:, 0]))
            layers += [linear, nn.ReLU()] if i < L else [linear]
        model = nn.Sequential(*layers).to(self.device)
        if case.output == "softmax":
            loss_fn: Any = nn.CrossEntropyLoss()
            targets = torch.from_numpy(data.labels)
        else:
            loss_fn = nn.BCEWithLogitsLoss()
            targets = torch.from_numpy(np.ascontiguousarray(data.Y.T))
        self.X = torch.from_numpy(data.rows).to(self.device)
        self.Y = targets.to(self.device)
        if case.optimizer == "adam":
            self.opt = torch.optim.Adam(model.parameters(), lr=case.learning_rate,
                                        betas=(0.9, 0.999), eps=1e-8, foreach=True)
        else:
            self.opt = torch.optim.SGD(model.parameters(), lr=case.learning_rate, foreach=True)

        def batch_loss(xb: Any, yb: Any) -> Any:
            return loss_fn(model(xb), yb)

        self.loss = torch.compile(batch_loss) if compile else batch_loss
        self.opt_step = torch.compile(self.opt.step) if compile else self.opt.step
        self.m, self.batch = case.m, case.batch

    def epoch(self) -> float:
        torch = self.torch
        if self.batch < self.m:
            order = torch.from_numpy(self.rng.permutation(self.m)).to(self.device)
        total = torch.zeros((), device=self.device)
        for a in range(0, self.m, self.batch):
            if self.batch < self.m:
                idx = order[a:a + self.batch]
                xb, yb = self.X.index_select(0, idx), self.Y.index_select(0, idx)
            else:
                xb, yb = self.X, self.Y
            self.opt.zero_grad(set_to_none=True)
            loss = self.loss(xb, yb)
            loss.backward()
            self.opt_step()
            total += loss.detach() * xb.shape[0]
        return float(total) / self.m  # synchronises the device


def check_compile_works(threads: int) -> None:
    """Raise :class:`Unavailable` when ``torch.compile`` cannot build here (no compiler...)."""
    torch = import_torch(threads)
    try:
        f = torch.compile(lambda x: torch.relu(x) * 2.0)
        f(torch.ones(4))
    except Exception as exc:  # inductor raises many kinds; any of them means "not here"
        raise Unavailable(f"torch.compile does not work here: {type(exc).__name__}: {exc}"[:300]) \
            from None
