"""Shared fixtures: every test of the maths runs on each available backend.

NumPy and array-api-strict always run; torch and JAX join when importable. Dask joins only
when asked for, with ``pytest --backend-dask`` or ``XPNET_TEST_DASK=1`` (its lazy graphs make
every backend test several times slower, and dask is in the test extra for the tests of
``xpnet.search`` on a cluster and of Dask arrays as data); otherwise its tests skip saying how
to ask. CuPy and torch on CUDA join only with a CUDA device and carry the ``gpu`` marker.
Missing ones skip with a reason.
"""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

import xpnet


def _importable(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


def _cuda_for(name: str) -> str | None:
    """None when ``name`` can use a CUDA device here, else the reason it cannot."""
    if not _importable(name):
        return f"{name} is not installed"
    if name == "cupy":
        try:
            import cupy

            if cupy.cuda.runtime.getDeviceCount() > 0:
                return None
        except Exception as exc:  # no driver: CuPy raises its own runtime error
            return f"CuPy sees no CUDA device ({type(exc).__name__})"
        return "CuPy sees no CUDA device"
    import torch

    return None if torch.cuda.is_available() else "torch sees no CUDA device"


if _importable("jax"):
    import jax

    jax.config.update("jax_enable_x64", True)

BACKEND_PARAMS = [
    pytest.param(("numpy", None), id="numpy"),
    pytest.param(("array_api_strict", None), id="array_api_strict"),
    pytest.param(("torch", "cpu"), id="torch",
                 marks=pytest.mark.skipif(not _importable("torch"), reason="torch is not installed")),
    pytest.param(("jax", None), id="jax",
                 marks=pytest.mark.skipif(not _importable("jax"), reason="jax is not installed")),
    pytest.param(("dask", None), id="dask",
                 marks=pytest.mark.skipif(not _importable("dask"), reason="dask is not installed")),
    pytest.param(("cupy", None), id="cupy",
                 marks=[pytest.mark.gpu, pytest.mark.skipif(_cuda_for("cupy") is not None,
                                                            reason=str(_cuda_for("cupy")))]),
    pytest.param(("torch", "cuda"), id="torch-cuda",
                 marks=[pytest.mark.gpu, pytest.mark.skipif(_cuda_for("torch") is not None,
                                                            reason=str(_cuda_for("torch")))]),
]


#: The environment variable that, set to 1, opts in to the Dask backend (as --backend-dask).
DASK_ENV = "XPNET_TEST_DASK"
DASK_OPT_IN = ("the Dask backend is opt-in (several times slower): run pytest with "
               f"--backend-dask or set {DASK_ENV}=1")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--backend-dask", action="store_true", default=False,
                     help="also run the backend-parametrised tests on Dask (several times "
                          f"slower; the same as {DASK_ENV}=1)")


def dask_backend_wanted(config: pytest.Config) -> bool:
    """Whether this run opted in to the Dask backend (--backend-dask or XPNET_TEST_DASK)."""
    env = os.environ.get(DASK_ENV, "").strip().lower()
    return bool(config.getoption("--backend-dask")) or env not in ("", "0", "false", "no")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the Dask backend's tests unless this run opted in to them."""
    if dask_backend_wanted(config):
        return
    skip = pytest.mark.skip(reason=DASK_OPT_IN)
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == ("dask", None):
            item.add_marker(skip)


@pytest.fixture(params=BACKEND_PARAMS)
def backend(request) -> xpnet.Backend:
    """An :class:`xpnet.Backend` for each available library (and device)."""
    name, device = request.param
    return xpnet.get_backend(name, device=device)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def host(x) -> np.ndarray:
    """NumPy copy of a backend array (for assertions)."""
    return xpnet.to_numpy(x)


@pytest.fixture
def saved_figures(monkeypatch):
    """The matplotlib figures saved during the test, in order (they are still written)."""
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    saved = []
    real = Figure.savefig
    monkeypatch.setattr(Figure, "savefig", lambda fig, *a, **k: (saved.append(fig),
                                                                 real(fig, *a, **k)))
    return saved
