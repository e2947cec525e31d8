"""The backend shim: resolving names and namespaces, moving data, readable errors."""

import array_api_strict
import numpy as np
import pytest

import xpnet
from xpnet.backend import BackendUnavailableError, get_backend, normalize_backend_name


@pytest.mark.parametrize("spelling, name", [("numpy", "numpy"), ("np", "numpy"),
                                            ("array-api-strict", "array_api_strict"),
                                            ("NumPy", "numpy")])
def test_names_resolve(spelling, name):
    assert get_backend(spelling).name == name


def test_unknown_backend_suggests_nearest_name():
    with pytest.raises(ValueError, match=r"backend='nunpy'.*Did you mean 'numpy'"):
        get_backend("nunpy")


def test_namespace_objects_resolve():
    assert get_backend(np).name == "numpy"
    assert get_backend(array_api_strict).name == "array_api_strict"


def test_none_infers_from_arrays():
    a = array_api_strict.asarray([[1.0]])
    assert get_backend(None, a).name == "array_api_strict"
    assert get_backend(None, np.ones((1, 1))).name == "numpy"
    assert get_backend(None, [[1.0, 2.0]]).name == "numpy"


def test_mixed_libraries_raise_type_error_naming_both():
    with pytest.raises(TypeError, match="different libraries.*(numpy|array_api_strict).*"):
        get_backend(None, np.ones((2, 2)), array_api_strict.ones((2, 2)))


def test_missing_backend_says_how_to_install(monkeypatch):
    import importlib

    real = importlib.import_module

    def fake_import(name, *args):
        if name.startswith("array_api_compat.cupy"):
            raise ModuleNotFoundError("No module named 'cupy'", name="cupy")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    with pytest.raises(BackendUnavailableError, match=r'pip install "xpnet\[gpu\]"'):
        get_backend("cupy")


def test_backend_unavailable_is_an_import_error_with_no_chained_traceback(monkeypatch):
    import importlib

    def fake_import(name, *args):
        raise ModuleNotFoundError(f"No module named {name!r}", name="jax")

    monkeypatch.setattr(importlib, "import_module", fake_import)
    with pytest.raises(ImportError) as info:
        get_backend("jax")
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert "pip install jax jaxlib" in str(info.value)


def test_numpy_rejects_a_gpu_device():
    with pytest.raises(ValueError, match="device='cuda:0'.*cpu"):
        get_backend("numpy", device="cuda:0")


@pytest.mark.parametrize("dtype", ["float32", "float64", np.float32, np.dtype("float64")])
def test_asarray_converts_dtype(backend, dtype):
    x = backend.asarray(np.arange(6).reshape(2, 3), dtype=dtype)
    assert str(np.dtype(dtype)) in str(x.dtype)
    np.testing.assert_array_equal(xpnet.to_numpy(x), np.arange(6).reshape(2, 3))


def test_unsupported_dtype_is_named(backend):
    with pytest.raises(ValueError, match="dtype='float16'.*float32, float64"):
        backend.dtype("float16")


def test_round_trip_to_numpy_and_synchronize(backend):
    x = backend.asarray(np.eye(3), dtype="float64")
    backend.synchronize(x)
    out = backend.to_numpy(x * 2.0)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, 2 * np.eye(3))


def test_normalize_backend_name_lists_choices():
    with pytest.raises(ValueError, match="numpy, cupy, torch, jax, array_api_strict"):
        normalize_backend_name("tensorflow")


def test_available_backends_includes_the_always_present_ones():
    found = xpnet.available_backends()
    assert "numpy" in found and "array_api_strict" in found


def test_jax_float64_without_x64_mode_is_refused():
    jax = pytest.importorskip("jax")
    previous = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", False)
    try:
        with pytest.raises(ValueError, match="jax_enable_x64"):
            get_backend("jax").dtype("float64")
        assert "float32" in str(get_backend("jax").dtype("float32"))
    finally:
        jax.config.update("jax_enable_x64", previous)


def test_numpy_placement_in_c_order_on_request():
    X = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    placed = get_backend("numpy").asarray(X, dtype="float64", c_order=True)
    assert placed.flags.c_contiguous
    np.testing.assert_array_equal(placed, X)
    assert get_backend("numpy").asarray(X, dtype="float64") is X  # layout kept by default
    already = np.ones((2, 3))
    assert get_backend("numpy").asarray(already, "float64", c_order=True) is already  # no copy
