"""Every registered fast engine against the generic Array-API reference engine.

Each supported configuration is trained twice from the same seed, once with
``engine="generic"`` and once with the fast engine; parameters, costs and optimizer state
must agree to round-off (tight in float64, looser in float32). The tests run over
:data:`xpnet.engines.FAST_ENGINES`, so a new engine joins them by registering; one whose backend
is not installed here is skipped with the reason.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import xpnet
from xpnet.architecture import Architecture
from xpnet.backend import BackendUnavailableError
from xpnet.engines import ENGINES, FAST_ENGINES, Engine, GenericEngine, fast_engine, make_engine
from xpnet.engines._flat import FlatEngine
from xpnet.engines.numpy import NumpyEngine
from xpnet.rng import RandomState

TOL = {"float64": dict(rtol=1e-9, atol=1e-12), "float32": dict(rtol=2e-3, atol=2e-5)}


@pytest.fixture(params=sorted(FAST_ENGINES))
def fast(request, monkeypatch):
    """Each registered fast engine's class; skipped where its backend is missing. (The torch
    engine runs its step eagerly here, compiling costs seconds per configuration; a test
    below compiles it.)"""
    cls = fast_engine(request.param)
    try:
        xpnet.get_backend(cls.backend_name)
    except BackendUnavailableError as exc:
        pytest.skip(f"fast engine {request.param!r}: {exc}")
    if hasattr(cls, "use_compile"):
        monkeypatch.setattr(cls, "use_compile", False)
    return cls


def host(x):
    return np.asarray(xpnet.to_numpy(x))


def _data(n_x: int, m: int, n_y: int, output: str, seed: int = 0):
    r = np.random.default_rng(seed)
    X = r.standard_normal((n_x, m))
    if output == "sigmoid":
        Y = (X[:1] + 0.3 * r.standard_normal((1, m)) > 0).astype(float)
    elif output == "softmax":
        Y = r.integers(0, n_y, (1, m))
    else:
        Y = X[:n_y] * 0.5 + 0.1 * r.standard_normal((n_y, m))
    return X, Y


def _train_both(fast, dims, output="sigmoid", dtype="float64", **kwargs):
    X, Y = _data(dims[0], kwargs.pop("m", 150), dims[-1], output)
    acts = kwargs.pop("activations", ["relu"] * (len(dims) - 2) + [output])
    kwargs.setdefault("num_epochs", 12)
    kwargs.setdefault("mini_batch_size", 32)
    kwargs.setdefault("learning_rate", 0.01)
    return [xpnet.train(X, Y, dims, activations=acts, dtype=dtype, backend=fast.backend_name,
                        seed=3, engine=engine, **kwargs) for engine in ("generic", fast.name)]


def _assert_same(generic, fast, dtype):
    tol = TOL[dtype]
    assert generic.config["engine"] == "generic" and fast.config["engine"] != "generic"
    np.testing.assert_allclose(fast.costs, generic.costs, **tol)
    for key, value in generic.params.items():
        np.testing.assert_allclose(host(fast.params[key]), host(value), err_msg=key, **tol)
        assert fast.params[key].shape == value.shape and fast.params[key].dtype == value.dtype
    g_state, f_state = generic.optimizer.state_dict(), fast.optimizer.state_dict()
    assert g_state.keys() == f_state.keys() and g_state["t"] == f_state["t"]
    for slot in g_state.keys() - {"t"}:
        assert g_state[slot].keys() == f_state[slot].keys()
        for key in g_state[slot]:
            np.testing.assert_allclose(host(f_state[slot][key]), host(g_state[slot][key]),
                                       err_msg=slot + key, **tol)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
@pytest.mark.parametrize("output, n_y", [("sigmoid", 1), ("softmax", 4), ("linear", 2)])
def test_optimizers_and_outputs_match_generic(fast, optimizer, output, n_y, dtype):
    # m = 150 with batches of 32: four full batches and a short last one of 22
    _assert_same(*_train_both(fast, [6, 5, 4, n_y], output, dtype, optimizer=optimizer), dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("lambd, keep_prob", [(0.7, 1.0), (0.0, 0.8), (0.5, 0.6)])
def test_l2_and_dropout_match_generic(fast, lambd, keep_prob, dtype):
    models = _train_both(fast, [6, 7, 5, 1], "sigmoid", dtype, optimizer="adam", lambd=lambd,
                         keep_prob=keep_prob)
    _assert_same(*models, dtype)


@pytest.mark.parametrize("hidden", ["relu", "leaky_relu", "tanh", "sigmoid", "linear"])
def test_hidden_activations_match_generic(fast, hidden):
    models = _train_both(fast, [5, 6, 4, 3], "softmax", activations=[hidden, hidden, "softmax"],
                         optimizer="momentum", keep_prob=0.9)
    _assert_same(*models, "float64")


@pytest.mark.parametrize("mini_batch_size", [None, 150, 1, 149])
def test_full_batch_and_odd_batch_sizes_match_generic(fast, mini_batch_size):
    models = _train_both(fast, [4, 3, 1], num_epochs=4, mini_batch_size=mini_batch_size,
                         optimizer="rmsprop", lambd=0.1)
    _assert_same(*models, "float64")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("mini_batch_size", [None, 32])
@pytest.mark.parametrize("output, n_y", [("sigmoid", 1), ("softmax", 4), ("linear", 2)])
def test_sample_weights_match_generic(fast, output, n_y, mini_batch_size, dtype):
    if not fast.sample_weights:
        pytest.skip(f"fast engine {fast.name!r} does not weigh examples")
    w = np.random.default_rng(7).uniform(0, 2, 150)
    w[::5] = 0.0
    models = _train_both(fast, [6, 5, 4, n_y], output, dtype, optimizer="adam", lambd=0.2,
                         mini_batch_size=mini_batch_size, sample_weight=w)
    _assert_same(*models, dtype)


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
def test_learning_rate_schedule_is_read_every_epoch(fast, optimizer):
    schedule = xpnet.InverseTimeDecay(decay_rate=3.0, interval=2)
    models = _train_both(fast, [6, 5, 1], lr_schedule=schedule, optimizer=optimizer, lambd=0.2)
    _assert_same(*models, "float64")


def test_training_in_stages_continues_the_optimizer_state(fast):
    X, Y = _data(6, 100, 1, "sigmoid")
    finals = []
    for engine in ("generic", fast.name):
        first = xpnet.train(X, Y, [6, 5, 1], optimizer="adam", num_epochs=5, mini_batch_size=16,
                            dtype="float64", engine=engine, backend=fast.backend_name)
        second = xpnet.train(X, Y, [6, 5, 1], optimizer=first.optimizer, params=first.params,
                             num_epochs=5, mini_batch_size=16, dtype="float64", engine=engine,
                             backend=fast.backend_name)
        assert second.optimizer.t == 2 * 7 * 5
        finals.append(second)
    _assert_same(*finals, "float64")


def _engines(dims=(4, 3, 2), optimizer="adam", backend="numpy", acts=("relu", "softmax")):
    be = xpnet.get_backend(backend)
    params = xpnet.initialize_parameters(list(dims), seed=0, dtype="float64", backend=be)
    arch = Architecture.of(dims, acts)
    opt = xpnet.get_optimizer(optimizer, 0.01)
    return be, params, arch, opt


def _one_hot(fast, Y, n):
    return xpnet.one_hot(Y, n, dtype="float64", backend=fast.backend_name)


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
@pytest.mark.parametrize("hidden, padded", [("relu", [3, 8, 4, 2]), ("tanh", [3, 8, 4, 2]),
                                            ("sigmoid", [3, 7, 2, 2])])
def test_padded_hidden_units_stay_exactly_zero(fast, optimizer, hidden, padded):
    if not issubclass(fast, FlatEngine):
        pytest.skip(f"fast engine {fast.name!r} keeps no padded flat buffer")
    if fast.pad != 4:
        padded = [3, *(-(-n // fast.pad) * fast.pad for n in (7, 2)), 2]
    X, Y = _data(3, 40, 2, "softmax")
    be, params, arch, opt = _engines((3, 7, 2, 2), optimizer, fast.backend_name,
                                     acts=(hidden, hidden, "softmax"))
    eng = fast(be, params, arch, opt, lambd=0.3, keep_prob=0.7, rng=RandomState(0))
    if hidden != "sigmoid":
        assert eng.padded == padded
    eng.load_data(be.asarray(X), _one_hot(fast, Y, 2))
    order = be.asarray(np.arange(40))
    for a in range(0, 40, 8):
        eng.step(order, a, a + 8)
    for i, (n, n_prev) in enumerate(zip(eng.padded[1:], eng.padded[:-1], strict=True)):
        W, b, true = host(eng.W[i]), host(eng.b[i]), eng.params[f"W{i + 1}"].shape
        assert W.shape == (n, n_prev) and np.all(np.isfinite(W))
        assert not W[true[0]:].any() and not W[:, true[1]:].any() and not b[true[0]:].any()
    assert {k: tuple(v.shape) for k, v in eng.params.items()} == {
        "W1": (7, 3), "b1": (7, 1), "W2": (2, 7), "b2": (2, 1), "W3": (2, 2), "b3": (2, 1)}


@pytest.mark.parametrize("optimizer, betas", [("momentum", {"beta": 0.5}),
                                              ("rmsprop", {"beta": 0.9}),
                                              ("adam", {"beta1": 0.5, "beta2": 0.99})])
def test_betas_changed_between_steps_are_followed(fast, optimizer, betas):
    X, Y = _data(4, 24, 2, "softmax")
    engines = []
    for cls in (GenericEngine, fast):
        be, params, arch, opt = _engines((4, 5, 2), optimizer, fast.backend_name)
        eng = cls(be, params, arch, opt, lambd=0.0, keep_prob=1.0, rng=RandomState(0))
        eng.load_data(be.asarray(X, dtype="float64"), _one_hot(fast, Y, 2))
        engines.append(eng)
    order = engines[0].backend.asarray(np.arange(24))
    for k, a in enumerate(range(0, 24, 4)):
        if k == 3:
            for eng in engines:
                for name, value in betas.items():
                    setattr(eng.optimizer, name, value)
        costs = [eng.step(order, a, a + 4) for eng in engines]
        np.testing.assert_allclose(float(costs[1]), float(costs[0]), rtol=1e-12)
    for key, value in engines[0].params.items():
        np.testing.assert_allclose(host(engines[1].params[key]), host(value), rtol=1e-10,
                                   atol=1e-13)


def test_engines_satisfy_the_protocol(fast):
    be, params, arch, opt = _engines(backend=fast.backend_name)
    kw = dict(lambd=0.0, keep_prob=1.0, rng=RandomState(0))
    for cls in (GenericEngine, fast):
        eng = cls(be, params, arch, opt, **kw)
        assert isinstance(eng, Engine)
        assert eng.backend is be and eng.optimizer is opt and eng.name in ENGINES
    assert fast.name in ENGINES and fast.backend_name == be.name
    assert fast.unsupported_reason(be, arch, opt) is None


def test_a_registered_engine_is_chosen_by_auto_and_by_name(monkeypatch):
    class TinyNumpy(NumpyEngine):
        """A new fast engine: one class plus a registration."""

        name = "tiny"

    module = type(__import__("sys"))("tiny_engine")
    module.ENGINE = TinyNumpy
    monkeypatch.setitem(__import__("sys").modules, "tiny_engine", module)
    monkeypatch.setitem(FAST_ENGINES, "tiny", "tiny_engine")
    monkeypatch.delitem(FAST_ENGINES, "numpy")
    X, Y = _data(4, 30, 1, "sigmoid")
    assert xpnet.train(X, Y, [4, 3, 1], num_epochs=2).config["engine"] == "tiny"
    assert xpnet.train(X, Y, [4, 3, 1], num_epochs=2, engine="tiny").config["engine"] == "tiny"


def test_auto_picks_the_numpy_engine_only_where_it_can_run():
    be, params, arch, opt = _engines()
    kw = dict(lambd=0.0, keep_prob=1.0, rng=RandomState(0))
    assert set(ENGINES) == {"auto", "generic", *FAST_ENGINES} and "numpy" in FAST_ENGINES
    assert isinstance(make_engine("auto", be, params, arch, opt, **kw), NumpyEngine)
    assert isinstance(make_engine("generic", be, params, arch, opt, **kw), GenericEngine)

    class MyAdam(xpnet.Adam):
        pass

    assert "MyAdam" in NumpyEngine.unsupported_reason(be, arch, MyAdam())
    assert isinstance(make_engine("auto", be, params, arch, MyAdam(), **kw), GenericEngine)
    with pytest.raises(ValueError, match="engine='numpy' cannot run.*MyAdam"):
        make_engine("numpy", be, params, arch, MyAdam(), **kw)
    with pytest.raises(ValueError, match="engine='fast' is not known"):
        make_engine("fast", be, params, arch, opt, **kw)


def test_auto_falls_back_to_generic_off_numpy():
    be, params, arch, opt = _engines(backend="array_api_strict")
    kw = dict(lambd=0.0, keep_prob=1.0, rng=RandomState(0))
    assert isinstance(make_engine("auto", be, params, arch, opt, **kw), GenericEngine)
    with pytest.raises(ValueError, match="numpy arrays only"):
        make_engine("numpy", be, params, arch, opt, **kw)


def test_params_are_course_layout_views_and_the_callers_arrays_stay(fast):
    be, params, arch, opt = _engines(backend=fast.backend_name)
    before = {k: host(v).copy() for k, v in params.items()}
    eng = fast(be, params, arch, opt, lambd=0.0, keep_prob=1.0, rng=RandomState(0))
    X, Y = _data(4, 10, 2, "softmax")
    eng.load_data(be.asarray(X, dtype="float64"), _one_hot(fast, Y, 2))
    cost = eng.step(None, 0, 10)
    assert np.isfinite(float(cost))
    shapes = {k: tuple(v.shape) for k, v in eng.params.items()}
    assert shapes == {"W1": (3, 4), "b1": (3, 1), "W2": (2, 3), "b2": (2, 1)}
    for key in params:
        np.testing.assert_array_equal(host(params[key]), before[key])
    assert not np.array_equal(host(eng.params["W1"]), before["W1"])


def test_state_dict_round_trip_and_snapshot_restore(fast):
    be, params, arch, opt = _engines(backend=fast.backend_name)
    kw = dict(lambd=0.0, keep_prob=1.0, rng=RandomState(0))
    eng = fast(be, params, arch, opt, **kw)
    assert eng.state_dict() == {"t": 0, "v": {}, "s": {}}
    X, Y = _data(4, 12, 2, "softmax")
    X, Y = be.asarray(X, dtype="float64"), _one_hot(fast, Y, 2)
    eng.load_data(X, Y)
    order = be.asarray(np.arange(12))
    eng.step(order, 0, 6)
    snap, state = eng.snapshot(), eng.state_dict()
    W1 = host(eng.params["W1"]).copy()
    eng.step(order, 6, 12)
    assert eng.state_dict()["t"] == 2
    eng.restore(snap)
    np.testing.assert_array_equal(host(eng.params["W1"]), W1)
    assert eng.state_dict()["t"] == 1
    np.testing.assert_array_equal(host(eng.state_dict()["s"]["W2"]), host(state["s"]["W2"]))
    # the generic optimizer's format loads into a fresh engine and continues identically
    other = fast(be, eng.params, arch, xpnet.Adam(0.01), **kw)
    other.load_state_dict(state)
    other.load_data(X, Y)
    a, b = eng.step(order, 6, 12), other.step(order, 6, 12)
    assert float(a) == float(b)
    np.testing.assert_array_equal(host(other.params["W2"]), host(eng.params["W2"]))


def test_trained_parameters_are_c_ordered_so_predictions_do_not_depend_on_batch_size():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((5, 200)).astype(np.float32)
    Y = (X[:1] > 0).astype(np.float32)
    model = xpnet.train(X, Y, [5, 7, 3, 1], num_epochs=3, engine="numpy")
    assert all(v.flags.c_contiguous for v in model.params.values())
    full = model.predict_proba(X)
    for start in range(0, 200, 37):  # subsets give bitwise the same probabilities
        np.testing.assert_array_equal(model.predict_proba(X[:, start:start + 37]),
                                      full[:, start:start + 37])


def test_the_numpy_engine_takes_the_course_layout_without_copying_it():
    # the course's loaders give X = x.reshape(m, -1).T: examples-major underneath
    be, params, arch, opt = _engines()
    examples = np.random.default_rng(0).standard_normal((10, 4))
    eng = NumpyEngine(be, params, arch, opt, lambd=0.0, keep_prob=1.0, rng=RandomState(0))
    eng.load_data(examples.T, xpnet.one_hot(np.arange(10) % 2, 2, dtype="float64"))
    assert np.shares_memory(eng.X, examples)


@pytest.mark.parametrize("optimizer", ["momentum", "rmsprop", "adam"])
def test_a_large_flat_buffer_updated_block_by_block_gives_the_same_bits(monkeypatch, optimizer):
    """Over BLOCKED_FROM parameters the NumPy optimizers update block by block (the buffers
    stay in cache through their passes): each element sees the same operations in the same
    order, so training gives exactly the whole-buffer result. Blocks of 16 here, uneven at
    the end (the flat buffer holds 137 numbers: hidden widths padded to 8)."""
    import xpnet.engines.numpy as numpy_engine

    X, Y = _data(6, 64, 1, "sigmoid")
    counts = []
    blocks = numpy_engine._Blocked._blocks

    def counted(self, *args):
        views = blocks(self, *args)
        counts.append(len(views))
        return views

    monkeypatch.setattr(numpy_engine._Blocked, "_blocks", counted)

    def run(block: int, blocked_from: int) -> xpnet.Model:
        monkeypatch.setattr(numpy_engine, "BLOCK", block)
        monkeypatch.setattr(numpy_engine, "BLOCKED_FROM", blocked_from)
        return xpnet.train(X, Y, [6, 7, 5, 1], optimizer=optimizer, num_epochs=3,
                           mini_batch_size=16, learning_rate=0.01, seed=1, engine="numpy",
                           lambd=0.1)

    whole = run(16, 10**9)
    assert set(counts) == {1}
    counts.clear()
    blocked = run(16, 32)
    assert set(counts) == {9}  # 137 numbers: 8 blocks of 16 and one of 9
    assert whole.costs == blocked.costs
    for key, value in whole.params.items():
        np.testing.assert_array_equal(blocked.params[key], value, err_msg=key)
    state, blocked_state = whole.optimizer.state_dict(), blocked.optimizer.state_dict()
    for slot in state.keys() - {"t"}:
        for key in state[slot]:
            np.testing.assert_array_equal(blocked_state[slot][key], state[slot][key])
    assert whole.costs[-1] < whole.costs[0]


def test_the_generic_engine_gathers_whole_rows_of_examples_major_data():
    """X and Y are kept (examples, features) in C order, the course's layout without a copy,
    and a step sees the batch as (features, examples), as the public forward pass does."""
    be, params, arch, opt = _engines()
    examples = np.random.default_rng(0).standard_normal((10, 4))
    eng = GenericEngine(be, params, arch, opt, lambd=0.0, keep_prob=1.0, rng=RandomState(0))
    Y = xpnet.one_hot(np.arange(10) % 2, 2, dtype="float64")
    eng.load_data(examples.T, Y)
    assert np.shares_memory(eng.XT, examples) and eng.XT.flags.c_contiguous
    assert eng.YT.shape == (10, 2) and eng.YT.flags.c_contiguous
    order = np.array([3, 1, 4, 0, 9, 2, 6, 5, 8, 7])
    expected = xpnet.compute_cost(xpnet.forward(examples.T[:, order[2:7]], params,
                                                ["relu", "softmax"])[0],
                                  Y[:, order[2:7]])
    assert float(eng.step(order, 2, 7)) == pytest.approx(5 * expected, rel=1e-12)


# -- batch normalisation ----------------------------------------------------------------------
def _needs_batch_norm(fast):
    if not getattr(fast, "batch_norm", False):
        pytest.skip(f"engine {fast.name!r} has no batch-norm kernels")


def _assert_same_stats(generic, fast, dtype):
    assert generic.stats.keys() == fast.stats.keys() and generic.stats
    for key, value in generic.stats.items():
        np.testing.assert_allclose(host(fast.stats[key]), host(value), err_msg=key, **TOL[dtype])
        assert fast.stats[key].shape == value.shape and fast.stats[key].dtype == value.dtype


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop", "adam"])
@pytest.mark.parametrize("output, n_y", [("sigmoid", 1), ("softmax", 4)])
def test_batch_norm_matches_generic(fast, optimizer, output, n_y, dtype):
    _needs_batch_norm(fast)
    generic, fast_model = _train_both(fast, [6, 7, 5, n_y], output, dtype, optimizer=optimizer,
                                      batch_norm=True)
    assert list(fast_model.params) == list(generic.params) == ["W1", "gamma1", "beta1", "W2",
                                                               "gamma2", "beta2", "W3", "b3"]
    _assert_same(generic, fast_model, dtype)
    _assert_same_stats(generic, fast_model, dtype)


@pytest.mark.parametrize("lambd, keep_prob", [(0.3, 1.0), (0.0, 0.7), (0.2, 0.8)])
@pytest.mark.parametrize("hidden", ["relu", "tanh", "leaky_relu"])
def test_batch_norm_with_l2_and_dropout_matches_generic(fast, lambd, keep_prob, hidden):
    _needs_batch_norm(fast)
    generic, fast_model = _train_both(fast, [6, 9, 5, 1], activations=[hidden, hidden, "sigmoid"],
                                      lambd=lambd, keep_prob=keep_prob, batch_norm=True,
                                      optimizer="adam", mini_batch_size=25)
    _assert_same(generic, fast_model, "float64")
    _assert_same_stats(generic, fast_model, "float64")


@pytest.mark.parametrize("batch_norm", [[True, False, False], [False, True, False]])
def test_batch_norm_on_some_layers_matches_generic(fast, batch_norm):
    _needs_batch_norm(fast)
    generic, fast_model = _train_both(fast, [6, 7, 5, 1], batch_norm=batch_norm,
                                      optimizer="momentum", mini_batch_size=None)
    _assert_same(generic, fast_model, "float64")
    _assert_same_stats(generic, fast_model, "float64")


def test_batch_norm_padded_units_stay_exactly_zero(fast):
    _needs_batch_norm(fast)
    X, Y = _data(6, 80, 1, "sigmoid")
    be = xpnet.get_backend(fast.backend_name)
    arch = Architecture.of([6, 7, 5, 1], batch_norm=True)
    params = xpnet.initialize_parameters([6, 7, 5, 1], seed=0, dtype="float64", backend=be,
                                         batch_norm=True)
    eng = fast(be, params, arch, xpnet.Adam(0.05), lambd=0.1, keep_prob=0.8, rng=RandomState(0))
    if not isinstance(eng, FlatEngine) or eng.padded == eng.dims:
        pytest.skip("this engine does not pad")
    eng.load_data(be.asarray(X), be.asarray(Y))
    for _ in range(5):
        eng.step(None, 0, 80)
    for i, layer in enumerate(arch.layers[:-1]):
        n = layer.n_out
        for buf in (eng.W[i], eng.gamma[i], eng.beta[i]):
            assert not np.any(host(buf)[n:])
        assert not np.any(host(eng.run_var[i])[n:]) and not np.any(host(eng.run_mean[i])[n:])
    assert all(np.all(np.isfinite(host(v))) for v in eng.stats.values())


def test_batch_norm_snapshot_restores_the_statistics(fast):
    _needs_batch_norm(fast)
    X, Y = _data(6, 60, 1, "sigmoid")
    be = xpnet.get_backend(fast.backend_name)
    arch = Architecture.of([6, 7, 1], batch_norm=True)
    params = xpnet.initialize_parameters([6, 7, 1], seed=0, dtype="float64", backend=be,
                                         batch_norm=True)
    eng = fast(be, params, arch, xpnet.GD(0.1), lambd=0.0, keep_prob=1.0, rng=RandomState(0))
    eng.load_data(be.asarray(X), be.asarray(Y))
    eng.step(None, 0, 60)
    snap = eng.snapshot()
    before = {k: host(v).copy() for k, v in eng.stats.items()}
    eng.step(None, 0, 60)
    assert not np.array_equal(host(eng.stats["running_mean1"]), before["running_mean1"])
    eng.restore(snap)
    for k, v in before.items():
        np.testing.assert_array_equal(host(eng.stats[k]), v)


def test_batch_norm_with_example_weights_dropout_and_l2_matches_generic(fast):
    """Two features that landed separately (batch norm, sample weights) work together."""
    if not (getattr(fast, "batch_norm", False) and getattr(fast, "sample_weights", False)):
        pytest.skip(f"engine {fast.name!r} lacks batch norm or example weights")
    r = np.random.default_rng(0)
    X = r.standard_normal((5, 120))
    Y = (X[:1] > 0).astype(float)
    w = r.random(120) + 0.5
    models = [xpnet.train(X, Y, [5, 6, 4, 1], batch_norm=True, sample_weight=w, keep_prob=0.8,
                          lambd=0.1, dtype="float64", num_epochs=5, mini_batch_size=32,
                          backend=fast.backend_name, engine=engine)
              for engine in ("generic", fast.name)]
    _assert_same(*models, "float64")
    for key, value in models[0].stats.items():
        np.testing.assert_allclose(host(models[1].stats[key]), host(value), **TOL["float64"])


def test_the_jax_engine_compiles_once_per_batch_size():
    pytest.importorskip("jax", reason="jax is not installed (pip install jax jaxlib)")
    from xpnet.engines.jax import JaxEngine

    X, Y = _data(5, 70, 1, "sigmoid")
    be, params, arch, opt = _engines((5, 4, 1), "adam", "jax", acts=("relu", "sigmoid"))
    eng = JaxEngine(be, params, arch, opt, lambd=0.1, keep_prob=0.8, rng=RandomState(0))
    eng.load_data(be.asarray(X, dtype="float64"), be.asarray(Y, dtype="float64"))
    for epoch in range(3):  # a new learning rate, beta and step count every epoch
        opt.learning_rate, opt.beta1 = 0.01 / (epoch + 1), 0.9 - 0.1 * epoch
        order = be.asarray(np.random.default_rng(epoch).permutation(70))
        for a in range(0, 70, 32):
            assert np.isfinite(float(eng.step(order, a, min(a + 32, 70))))
    assert sorted(eng._compiled) == [(6, False), (32, False)]
    assert all(fn._cache_size() == 1 for fn in eng._compiled.values())
    assert eng.state_dict()["t"] == 9

    class MyAdam(xpnet.Adam):
        pass

    assert "MyAdam" in JaxEngine.unsupported_reason(be, arch, MyAdam())
    assert "jax arrays only" in JaxEngine.unsupported_reason(xpnet.get_backend("numpy"), arch, opt)


def test_the_torch_engine_compiled_matches_generic_without_recompiling():
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    import torch._dynamo

    from xpnet.engines.torch import TorchEngine

    assert TorchEngine.use_compile
    torch._dynamo.reset()
    counters = torch._dynamo.utils.counters
    counters.clear()
    graphs = []  # compiled graphs after each epoch: new ones only in the first
    with warnings.catch_warnings():
        # Dynamo's notes are not passed on to the user
        warnings.filterwarnings("error", message=".*Dynamo", category=UserWarning)
        models = _train_both(TorchEngine, [6, 5, 4, 3], "softmax", "float64", optimizer="adam",
                             keep_prob=0.8, lambd=0.1, num_epochs=4,
                             lr_schedule=xpnet.InverseTimeDecay(decay_rate=1.0, interval=1),
                             callback=lambda e, c: graphs.append(
                                 counters["stats"]["unique_graphs"]))
    _assert_same(*models, "float64")
    assert graphs[4] > 0 and graphs[4:] == [graphs[4]] * 4  # (the first 4: the generic run)
    # each compiled step is one graph: no break (array-api-compat's scalar promotion through
    # torch.result_type, a cached_property's lock) splits it into graphs joined by Python
    assert dict(counters["graph_break"]) == {}


def test_the_torch_engine_is_chosen_by_name_only():
    pytest.importorskip("torch", reason="torch is not installed (pip install torch==2.13.0)")
    from xpnet.engines.torch import TorchEngine

    be, params, arch, opt = _engines(backend="torch")
    kw = dict(lambd=0.0, keep_prob=1.0, rng=RandomState(0))
    assert isinstance(make_engine("auto", be, params, arch, opt, **kw), GenericEngine)
    assert isinstance(make_engine("torch", be, params, arch, opt, **kw), TorchEngine)
