"""Model files: atomic writes, and a clear refusal of damaged or foreign files (no unpickling)."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest

import xpnet
from xpnet import files
from xpnet import to_numpy as host
from xpnet.files import ModelFileError, write_npz_atomic
from xpnet.files import read_container as read_npz


@pytest.fixture
def model(rng):
    X = rng.random((3, 20))
    Y = (X[:1] > 0.5).astype(np.float64)
    return xpnet.train(X, Y, [3, 4, 1], num_epochs=3)


@pytest.fixture
def saved(model, tmp_path):
    path = tmp_path / "model.npz"
    model.save(path)
    return path


def _same_params(a, b):
    return all(np.array_equal(host(a.params[k]), host(b.params[k])) for k in b.params)


def test_save_and_load_round_trip(model, saved):
    loaded = xpnet.load(saved)
    assert _same_params(loaded, model)
    assert loaded.costs == model.costs and loaded.layer_dims == model.layer_dims
    assert loaded.activations == model.activations and loaded.dtype == model.dtype


def _crash_half_way(monkeypatch):
    """Make the writer put half a file on disk and then die."""
    def savez(fh, **arrays):
        fh.write(b"PK\x03\x04 half a zip file")
        raise OSError("disk full")

    monkeypatch.setattr(files.np, "savez", savez)


def test_a_crash_while_saving_leaves_the_previous_file(model, saved, rng, monkeypatch):
    other = xpnet.train(rng.random((3, 20)), np.ones((1, 20)), [3, 4, 1], num_epochs=1, seed=9)
    with monkeypatch.context() as patch:
        _crash_half_way(patch)
        with pytest.raises(OSError, match="disk full"):
            other.save(saved)
    assert _same_params(xpnet.load(saved), model)
    assert [p.name for p in saved.parent.iterdir()] == ["model.npz"]  # no temporary file left


def test_a_crash_while_saving_a_new_file_leaves_nothing(model, tmp_path, monkeypatch):
    _crash_half_way(monkeypatch)
    with pytest.raises(OSError):
        model.save(tmp_path / "new.npz")
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_saving_leaves_the_previous_file(model, saved, monkeypatch):
    def savez(fh, **arrays):
        fh.write(b"PK")
        raise KeyboardInterrupt

    monkeypatch.setattr(files.np, "savez", savez)
    with pytest.raises(KeyboardInterrupt):
        model.save(saved)
    monkeypatch.undo()
    assert _same_params(xpnet.load(saved), model)


# -- refusing damaged and foreign files -----------------------------------------------------------


def test_truncated_file(saved):
    data = saved.read_bytes()
    saved.write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="is not a readable xpnet file"):
        xpnet.load(saved)


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.npz"
    path.write_bytes(np.random.default_rng(0).bytes(300))
    with pytest.raises(ModelFileError, match="is not a readable xpnet file"):
        xpnet.load(path)


def test_foreign_npz_without_metadata(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, W1=np.ones((2, 2)))
    with pytest.raises(ModelFileError, match="no __xpnet__ metadata"):
        xpnet.load(path)


UNPICKLED = []


def _record_unpickling():
    UNPICKLED.append(True)
    return "unpickled"


class _Trap:
    def __reduce__(self):
        return (_record_unpickling, ())


def test_pickled_arrays_are_never_unpickled(saved):
    arrays, meta = read_npz(saved, "xpnet-model")
    trap = np.array([_Trap()], dtype=object)
    with open(saved, "wb") as fh:
        np.savez(fh, **{**arrays, "W1": trap},
                 __xpnet__=np.frombuffer(json.dumps(meta).encode(), np.uint8))
    with pytest.raises(ModelFileError, match="W1 has dtype object, which xpnet does not read"):
        xpnet.load(saved)
    assert UNPICKLED == []


def test_a_pickle_file_is_refused(tmp_path, model):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(model.params_numpy()))
    with pytest.raises(ModelFileError, match="is not a readable xpnet file"):
        xpnet.load(path)


def _rewrite(path, arrays=None, **meta_changes):
    old_arrays, meta = read_npz(path, "xpnet-model")
    write_npz_atomic(path, old_arrays if arrays is None else arrays, {**meta, **meta_changes})


@pytest.mark.parametrize("changes, match", [
    ({"version": 2}, "format version 2; this xpnet reads xpnet-model version 1"),
    ({"format": "something-else"}, "'something-else' file, expected 'xpnet-model'"),
    ({"layer_dims": [3, 5, 1]}, r"W1 has shape \(4, 3\), expected \(5, 3\)"),
    ({"layer_dims": [3]}, "layer_dims needs at least two entries"),
    ({"dtype": "float64"}, "W1 has dtype float32, expected float64"),
    ({"dtype": "float16"}, "dtype 'float16' is not one of"),
    ({"activations": ["relu", "sigmod"]}, r"activations\[1\].*Did you mean 'sigmoid'"),
    ({"costs": ["low"]}, "'costs' must be a list of finite numbers"),
])
def test_metadata_that_does_not_fit_the_arrays(saved, changes, match):
    _rewrite(saved, **changes)
    with pytest.raises(ModelFileError, match=match):
        xpnet.load(saved)


def test_metadata_without_the_network(saved):
    arrays, meta = read_npz(saved, "xpnet-model")
    write_npz_atomic(saved, arrays, {k: v for k, v in meta.items() if k != "dtype"})
    with pytest.raises(ModelFileError, match="metadata lacks dtype"):
        xpnet.load(saved)


def test_missing_and_non_finite_parameters(saved):
    arrays, _ = read_npz(saved, "xpnet-model")
    _rewrite(saved, arrays={k: v for k, v in arrays.items() if k != "b2"})
    with pytest.raises(ModelFileError, match="lacks the arrays b2"):
        xpnet.load(saved)
    _rewrite(saved, arrays={**arrays, "b2": np.full_like(arrays["b2"], np.nan)})
    with pytest.raises(ModelFileError, match="b2 holds NaN or infinite values"):
        xpnet.load(saved)


def test_damaged_metadata(saved):
    arrays, _ = read_npz(saved, "xpnet-model")
    with open(saved, "wb") as fh:
        np.savez(fh, **arrays, __xpnet__=np.frombuffer(b"{not json", np.uint8))
    with pytest.raises(ModelFileError, match="metadata is damaged"):
        xpnet.load(saved)
    with open(saved, "wb") as fh:
        np.savez(fh, **arrays, __xpnet__=np.frombuffer(b"[1, 2]", np.uint8))
    with pytest.raises(ModelFileError, match="metadata is damaged"):
        xpnet.load(saved)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such model file"):
        xpnet.load(tmp_path / "nothing.npz")


def test_model_file_error_is_a_value_error():
    assert issubclass(ModelFileError, ValueError)


def test_a_text_file_is_refused_without_pickle_advice(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(xpnet.ModelFileError, match="is not a readable xpnet file: expected a model") as info:
        xpnet.load(path)
    assert "pickle" not in str(info.value)


# -- the per-epoch history ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["m.npz", "m.safetensors"])
def test_the_history_is_saved_and_loaded(rng, tmp_path, name):
    X = rng.random((3, 60))
    Y = (X[:1] > 0.5).astype(np.float64)
    model = xpnet.train(X, Y, [3, 4, 1], num_epochs=7, validation_split=0.25,
                        validation_every=3, optimizer="adam", learning_rate=0.01)
    model.save(tmp_path / name)
    loaded = xpnet.load(tmp_path / name)
    history = model.history
    assert set(loaded.history) == set(history) >= {"epoch", "cost", "val_cost", "accuracy",
                                                   "val_accuracy", "learning_rate", "seconds"}
    for key, values in history.items():
        if key == "seconds":  # saved to the microsecond
            np.testing.assert_allclose(loaded.history[key], values, atol=5e-7, rtol=0)
        else:
            assert loaded.history[key] == values, key
    assert loaded.history["val_cost"][:2] == [None, None]  # epochs not evaluated
    assert loaded.history["epoch"] == list(range(7))
    assert all(type(e) is int for e in loaded.history["epoch"])


def test_a_file_without_history_loads_with_an_empty_one(saved):
    arrays, meta = read_npz(saved, "xpnet-model")
    assert "history" in meta
    del meta["history"]  # as files were written before models kept their history
    write_npz_atomic(saved, arrays, meta)
    loaded = xpnet.load(saved)
    assert loaded.history == {} and len(loaded.costs) == 3


def test_a_model_without_history_writes_none(model, tmp_path):
    model.history = {}
    model.save(tmp_path / "m.npz")
    assert "history" not in read_npz(tmp_path / "m.npz", "xpnet-model")[1]
    assert xpnet.load(tmp_path / "m.npz").history == {}


def test_a_history_of_any_keys_and_numpy_numbers(model, tmp_path):
    model.history = {"epoch": [0, np.int64(1)], "cost": [np.float32(0.5), 0.25],
                     "my_metric": [None, float("nan")], "val_cost": [float("inf"), 1]}
    model.save(tmp_path / "m.safetensors")
    assert xpnet.load(tmp_path / "m.safetensors").history == {
        "epoch": [0, 1], "cost": [0.5, 0.25], "my_metric": [None, None],  # NaN, inf: None
        "val_cost": [None, 1.0]}


@pytest.mark.parametrize("history, match", [
    ({"cost": [0.5, "low"]}, r"model.history\['cost'\]\[1\] must be a number or None"),
    ({"cost": [0.5], "epoch": [0, 1]}, "one entry per epoch each"),
    ({"epoch": [0.5]}, "must be an epoch number"),
    ({"epoch": [None]}, "must be an epoch number"),
    ({"epoch": [2**53]}, "must be an epoch number"),
    ({1: [0.5]}, "keys must be strings"),
    ({"cost": 0.5}, r"model.history\['cost'\] must be a list"),
    ({"cost": [True]}, "must be a number or None"),
])
def test_a_history_that_could_not_be_loaded_is_not_saved(model, tmp_path, history, match):
    model.history = history
    with pytest.raises(ValueError, match=match):
        model.save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []
