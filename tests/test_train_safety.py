"""``train``'s arguments checked before any work, and what it writes (issue 17): checkpoint
paths, resuming, optimizer state overflow, optimizer instances, sizes, complex input, warnings,
memory, file permissions and temporary files."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tracemalloc
import warnings

import numpy as np
import pytest

import xpnet
from xpnet import to_numpy as host
from xpnet.checkpoint import load_checkpoint
from xpnet.files import remove_stale_temporaries

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((4, 40))
    Y = (X[:1] + X[1:2] > 0).astype(np.float64)
    return X, Y


def _epochs_run(calls):
    return lambda epoch, cost: calls.append(epoch)


# -- checkpoint= is checked before training -------------------------------------------------------


def test_a_checkpoint_naming_a_folder_is_refused_before_training(data, tmp_path):
    calls: list[int] = []
    with pytest.raises(ValueError, match="checkpoint=.* is a folder"):
        xpnet.train(*data, [4, 3, 1], num_epochs=3, checkpoint=tmp_path,
                    callback=_epochs_run(calls))
    assert calls == []


def test_a_checkpoint_in_a_missing_folder_is_refused(data, tmp_path):
    with pytest.raises(ValueError, match="the folder .* does not exist"):
        xpnet.train(*data, [4, 3, 1], checkpoint=tmp_path / "no" / "ck.safetensors")


def test_a_read_only_checkpoint_file_is_refused_before_training(data, tmp_path):
    path = tmp_path / "ck.safetensors"
    path.write_bytes(b"old")
    path.chmod(0o444)
    calls: list[int] = []
    with pytest.raises(ValueError, match="is read-only"):
        xpnet.train(*data, [4, 3, 1], num_epochs=2, checkpoint=path, callback=_epochs_run(calls))
    assert calls == [] and path.read_bytes() == b"old"


@pytest.mark.skipif(ROOT or os.name != "posix", reason="root writes into read-only folders")
def test_a_checkpoint_in_a_read_only_folder_is_refused_before_training(data, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(ValueError, match="cannot write in the folder"):
            xpnet.train(*data, [4, 3, 1], checkpoint=folder / "ck.safetensors")
    finally:
        folder.chmod(0o755)


# -- optimizer state that overflows is a divergence -----------------------------------------------


def test_adam_second_moment_overflow_stops_as_a_divergence(tmp_path):
    """Inputs near 1e30 overflow Adam's s = dW² in float32 while the parameters stay finite;
    it used to train on and write a checkpoint that resume refused."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((3, 30)) * 1e30
    Y = (rng.random((1, 30)) > 0.5).astype(np.float64)
    path = tmp_path / "ck.safetensors"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy RuntimeWarning may reach the user either
        with pytest.raises(xpnet.DivergenceError, match="adam's moments\\) overflowed") as info:
            xpnet.train(X, Y, [3, 4, 1], num_epochs=5, optimizer="adam", checkpoint=path)
    model = info.value.model
    for v in model.params.values():
        assert np.all(np.isfinite(host(v)))
    saved = load_checkpoint(path)  # the checkpoint it wrote is one resume accepts
    assert saved.epoch == len(model.costs)


@pytest.mark.parametrize("engine", ["generic", "auto"])
def test_a_diverging_run_shows_no_numpy_warning(data, engine):
    X, Y = data
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(xpnet.DivergenceError):
            xpnet.train(X * 1e3, Y, [4, 8, 1], num_epochs=50, optimizer="gd",
                        learning_rate=1e6, engine=engine)


def test_predicting_with_overflowing_inputs_shows_no_warning(data):
    model = xpnet.train(*data, [4, 3, 1], num_epochs=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = model.predict_proba(np.full((4, 2), 1e30))
    assert np.all(np.isfinite(p))


# -- optimizer instances --------------------------------------------------------------------------


def test_an_optimizer_instance_is_not_changed_by_train(data):
    opt = xpnet.Adam(0.01)
    first = xpnet.train(*data, [4, 3, 1], num_epochs=4, optimizer=opt)
    second = xpnet.train(*data, [4, 3, 1], num_epochs=4, optimizer=opt)
    assert first.costs == second.costs
    assert opt.t == 0 and opt.v == {} and opt.s == {}
    assert first.optimizer is not opt and first.optimizer.t > 0


def test_a_learning_rate_does_not_change_the_instance(data):
    opt = xpnet.Momentum(0.01)
    model = xpnet.train(*data, [4, 3, 1], num_epochs=1, optimizer=opt, learning_rate=0.5)
    assert opt.learning_rate == 0.01 and model.optimizer.learning_rate == 0.5


def test_an_optimizer_with_the_state_of_another_network_is_refused(data):
    first = xpnet.train(*data, [4, 3, 1], num_epochs=2, optimizer="adam")
    with pytest.raises(ValueError, match="optimizer holds a state .* for another network"):
        xpnet.train(*data, [4, 5, 1], num_epochs=2, optimizer=first.optimizer)


# -- sizes and input types ------------------------------------------------------------------------


def test_layer_dims_too_large_for_memory_are_refused_before_allocating(data):
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"layer_dims \[4, 1000000000000, 1\] has "
                                             r"6,000,000,000,001 parameters: training needs"):
            xpnet.train(*data, [4, 10**12, 1])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 << 20


@pytest.mark.parametrize("which", ["X", "Y"])
def test_complex_input_is_refused(data, which):
    X, Y = data
    args = {"X": X, "Y": Y}
    args[which] = args[which] + 0j
    with pytest.raises(TypeError, match=f"{which} could not be converted.*complex numbers"):
        xpnet.train(args["X"], args["Y"], [4, 3, 1], num_epochs=1)


def test_complex_params_are_refused(data):
    params = xpnet.initialize_parameters([4, 3, 1], seed=0)
    params["W1"] = params["W1"] + 1j
    with pytest.raises(TypeError, match=r"params\['W1'\].*complex numbers"):
        xpnet.train(*data, [4, 3, 1], num_epochs=1, params=params)


# -- saving ---------------------------------------------------------------------------------------


@pytest.fixture
def model(data):
    return xpnet.train(*data, [4, 3, 1], num_epochs=2)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize("name", ["m.npz", "m.safetensors"])
def test_saved_files_follow_the_umask(tmp_path, name):
    script = (f"import os, xpnet, numpy as np; os.umask(0o{{}}); "
              f"m = xpnet.train(np.eye(2), np.array([[0, 1]]), [2, 1], num_epochs=1); "
              f"m.save({str(tmp_path / name)!r})")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    for umask, mode in (("022", 0o644), ("002", 0o664), ("077", 0o600)):
        (tmp_path / name).unlink(missing_ok=True)
        subprocess.run([sys.executable, "-c", script.format(umask)], check=True, env=env)
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode


def test_replacing_a_file_keeps_its_permissions(model, tmp_path):
    path = tmp_path / "m.safetensors"
    model.save(path)
    path.chmod(0o640)
    model.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


@pytest.mark.parametrize("name", ["m.npz", "m.safetensors"])
def test_a_read_only_model_file_is_not_replaced(model, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"precious")
    path.chmod(0o444)
    with pytest.raises(PermissionError, match="read-only"):
        model.save(path)
    assert path.read_bytes() == b"precious"


def test_a_long_file_name_is_saved(model, tmp_path):
    name = "m" * (250 - len(".safetensors")) + ".safetensors"
    model.save(tmp_path / name)
    assert xpnet.load(tmp_path / name).layer_dims == model.layer_dims
    assert os.listdir(tmp_path) == [name]


def test_nan_weights_are_refused_at_save(model, tmp_path):
    model.params["b1"] = np.full_like(host(model.params["b1"]), np.nan)
    with pytest.raises(ValueError, match="b1 holds NaN or infinite values"):
        model.save(tmp_path / "m.safetensors")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="process ids of POSIX")
def test_temporary_files_of_a_killed_save_are_removed_by_the_next(model, tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)
    stale = tmp_path / f".m.safetensors.{pid}.abcd1234.tmp"
    stale.write_bytes(b"half")
    mine = tmp_path / f".m.safetensors.{os.getpid()}.abcd1234.tmp"  # a save in progress here
    mine.write_bytes(b"busy")
    other = tmp_path / f".n.safetensors.{pid}.abcd1234.tmp"  # another target's
    other.write_bytes(b"x")
    model.save(tmp_path / "m.safetensors")
    assert not stale.exists() and mine.exists() and other.exists()
    assert remove_stale_temporaries(tmp_path / "n.safetensors") == [other]


# -- memory: one float32 copy of X at most ---------------------------------------------------------


@pytest.mark.parametrize("engine", ["auto", "generic"])
@pytest.mark.parametrize("layout", ["C float32", "F float32", "C float64", "F float64"])
def test_training_holds_one_float32_copy_of_x_at_most(engine, layout):
    n, m = 200, 4000
    base = np.random.default_rng(0).random((m, n))
    order, dtype = layout.split()
    X = np.ascontiguousarray(base.T, dtype=dtype) if order == "C" else base.astype(dtype).T
    Y = (base[:, :1].T > 0.5).astype(np.float32)
    one_copy = n * m * 4
    xpnet.train(X[:, :10], Y[:, :10], [n, 4, 1], num_epochs=1, engine=engine)  # imports done
    tracemalloc.start()
    try:
        xpnet.train(X, Y, [n, 4, 1], num_epochs=1, mini_batch_size=400, engine=engine)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.4 * one_copy  # one copy, mini-batch buffers and a bool mask of X


# -- readers of your own data --------------------------------------------------------------------


def test_a_16_bit_png_is_scaled_not_saturated(tmp_path):
    pil = pytest.importorskip("PIL.Image")
    from xpnet.datasets.files import read_image

    levels = np.array([[0, 16384], [32768, 65535]], dtype=np.uint16)
    pil.fromarray(levels).save(tmp_path / "deep.png")  # a 16-bit grey PNG
    with pil.open(tmp_path / "deep.png") as img:
        assert img.mode.startswith("I")
    grey = read_image(tmp_path / "deep.png", (2, 2, 1))
    np.testing.assert_allclose(grey, levels.reshape(-1) / 65535, atol=1e-6)
    rgb = read_image(tmp_path / "deep.png", (2, 2, 3))
    np.testing.assert_allclose(rgb.reshape(2, 2, 3)[:, :, 1], levels / 65535, atol=1e-6)


def test_a_csv_with_a_utf8_bom_keeps_its_first_row(tmp_path):
    from xpnet.datasets.files import read_csv_data

    path = tmp_path / "d.csv"
    path.write_bytes("\ufeff1.5,2,0\n3,4,1\n5,6,0\n".encode())
    data = read_csv_data(path)
    assert data.train_x.shape == (2, 3)
    np.testing.assert_array_equal(data.train_x[:, 0], [1.5, 2.0])


@pytest.mark.parametrize("engine", ["auto", "generic"])
def test_x_in_any_order_and_dtype_trains_the_same(engine):
    rng = np.random.default_rng(4)
    X = rng.standard_normal((6, 50))
    Y = (X[:1] > 0).astype(np.float64)
    runs = [xpnet.train(x, Y, [6, 4, 1], num_epochs=3, mini_batch_size=16, engine=engine)
            for x in (X.astype(np.float32), X, np.asfortranarray(X), X.T.copy().T)]
    for other in runs[1:]:
        assert other.costs == runs[0].costs


def test_x_beyond_float32_is_refused_for_float32_training(data):
    X, Y = data
    X = X.copy()
    X[0, 0] = 1e39
    with pytest.raises(ValueError, match="X contains NaN or infinite values \\(as float32"):
        xpnet.train(X, Y, [4, 3, 1], num_epochs=1)
    xpnet.train(X, Y, [4, 3, 1], num_epochs=1, dtype="float64", learning_rate=1e-50)


def test_training_data_is_read_in_the_dtype_asked_for():
    from xpnet.datasets.files import load_training_data

    data = load_training_data("football", dtype="float32")
    assert data.train_x.dtype == np.float32 and data.test_x.dtype == np.float32
    assert load_training_data("football").train_x.dtype == np.float64
    with pytest.raises(ValueError, match="dtype='float16' is not"):
        load_training_data("football", dtype="float16")


def test_saving_into_a_missing_folder_names_the_target(model, tmp_path):
    target = tmp_path / "missing" / "m.safetensors"
    with pytest.raises(FileNotFoundError, match="its folder does not exist") as info:
        model.save(target)
    assert info.value.filename == str(target) and ".tmp" not in str(info.value)


def test_saving_onto_a_folder_is_refused(model, tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        model.save(tmp_path)
    assert list(tmp_path.iterdir()) == []
