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


def test_examples_major_is_the_transpose_in_c_order_on_every_backend(backend):
    """What the generic engine keeps of X: (examples, features), C-contiguous where the
    library has strides, from host data and from the backend's own arrays."""
    X = np.arange(12.0).reshape(3, 4)  # (features, examples)
    for given in (X, np.asfortranarray(X), backend.asarray(X, "float64")):
        placed = backend.examples_major(given, "float64")
        assert placed.shape == (4, 3)
        np.testing.assert_array_equal(xpnet.to_numpy(placed), X.T)
        if backend.name == "torch":
            assert placed.is_contiguous()
        if backend.name == "numpy":
            assert placed.flags.c_contiguous


def test_examples_major_does_not_copy_the_course_layout_on_numpy():
    examples = np.random.default_rng(0).standard_normal((10, 4))  # x.reshape(m, -1)
    placed = get_backend("numpy").examples_major(examples.T, "float64")
    assert np.shares_memory(placed, examples) and placed.flags.c_contiguous
    assert not np.shares_memory(get_backend("numpy").examples_major(examples.T, "float32"),
                                examples)  # a dtype change is the one copy


# -- the table of libraries ----------------------------------------------------------------------


def test_one_library_class_per_backend_name():
    from xpnet.backend import BACKENDS, LIBRARIES, Library

    assert tuple(LIBRARIES) == BACKENDS
    for name, lib in LIBRARIES.items():
        assert isinstance(lib, Library) and type(lib) is not Library
        assert lib.name == name and lib.module and lib.install_hint
        assert type(lib).__doc__, f"{type(lib).__name__} needs a docstring"
        for spelling in (name, *lib.aliases):
            assert normalize_backend_name(spelling) == name


@pytest.mark.parametrize("name", ["numpy", "cupy", "torch", "jax", "array_api_strict", "dask"])
def test_every_missing_library_says_how_to_install_it(monkeypatch, name):
    import importlib

    from xpnet.backend import LIBRARIES

    lib, real = LIBRARIES[name], importlib.import_module

    def fake_import(module, *args):
        if module == lib.module:
            raise ModuleNotFoundError(f"No module named {module!r}", name=module)
        return real(module, *args)

    monkeypatch.setattr(importlib, "import_module", fake_import)
    with pytest.raises(BackendUnavailableError, match=f"backend={name!r}") as info:
        get_backend(name)
    assert lib.install_hint in str(info.value)
    assert name not in xpnet.available_backends()


def test_each_library_knows_its_namespace_and_arrays(backend):
    from xpnet.backend import LIBRARIES, backend_name

    lib = backend.library
    x = backend.asarray(np.ones((2, 2)), "float64")
    assert backend_name(backend.xp) == backend.name == lib.name
    assert [n for n, other in LIBRARIES.items() if other.owns_namespace(backend.xp)] == [lib.name]
    assert [n for n, other in LIBRARIES.items() if other.owns_array(x)] == [lib.name]
    assert not lib.owns_array([[1.0]])


def test_backend_pickles_by_name(backend):
    import pickle

    clone = pickle.loads(pickle.dumps(backend))
    assert (clone.name, clone.xp) == (backend.name, backend.xp)
    assert str(clone.device) == str(backend.device)


def test_backend_is_constructible_from_its_parts():
    from xpnet.backend import LIBRARIES, Backend

    be = Backend("numpy", get_backend("numpy").xp)
    assert be.device is None and be.library is LIBRARIES["numpy"]
    np.testing.assert_array_equal(be.asarray([[1, 2]], "float32"), [[1.0, 2.0]])


def test_a_custom_namespace_gets_the_generic_library():
    import pickle
    import types

    from xpnet.backend import Library

    custom = types.ModuleType("my_arrays")
    custom.__dict__.update({k: getattr(array_api_strict, k) for k in dir(array_api_strict)
                            if not k.startswith("_")})
    be = get_backend(custom)
    assert (be.name, be.xp) == ("my_arrays", custom) and type(be.library) is Library
    x = be.asarray([[1.0, 2.0]], dtype="float64")
    be.synchronize(x)
    np.testing.assert_array_equal(be.to_numpy(x), [[1.0, 2.0]])
    assert be.dtype("float32") == custom.float32
    with pytest.raises(TypeError, match="custom namespace 'my_arrays' cannot be pickled"):
        pickle.dumps(be)
    with pytest.raises(TypeError, match="is a module but not an array namespace"):
        get_backend(types.ModuleType("not_arrays"))


def test_numpy_namespace_module_resolves_to_the_wrapped_one():
    import array_api_compat.numpy

    assert get_backend(np).xp is array_api_compat.numpy
    assert get_backend(array_api_compat.numpy).xp is array_api_compat.numpy


def test_to_numpy_of_lists_scalars_and_strict_arrays():
    assert xpnet.to_numpy([[1, 2]]).tolist() == [[1, 2]]
    assert xpnet.to_numpy(np.float32(2.5)) == 2.5
    np.testing.assert_array_equal(xpnet.to_numpy(array_api_strict.asarray([1.0, 2.0])), [1, 2])


def test_synchronize_without_a_backend_is_a_no_op_on_the_cpu():
    xpnet.synchronize(None)
    xpnet.synchronize(None, np.ones(2))
    xpnet.synchronize(get_backend("array_api_strict"))
