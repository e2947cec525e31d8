"""Nothing is lost: checkpoints resume bit for bit, Ctrl-C returns the model, seeds repeat."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import xpnet
from xpnet import to_numpy as host
from xpnet.checkpoint import load_checkpoint
from xpnet.engines import GenericEngine
from xpnet.engines.numpy import NumpyEngine

DIMS = [5, 8, 4, 1]


@pytest.fixture
def data(rng):
    X = rng.standard_normal((5, 70))
    Y = (X[:1] + X[1:2] ** 2 > 0.8).astype(np.float64)
    return X, Y


#: Adam, shuffled mini-batches with a short last batch, dropout and L2: everything that uses
#: the optimizer state or the random generator.
SETTINGS = dict(optimizer="adam", learning_rate=0.01, mini_batch_size=16, keep_prob=0.8,
                lambd=0.1, seed=3)


def _train(X, Y, num_epochs, **kw):
    return xpnet.train(X, Y, DIMS, num_epochs=num_epochs, **{**SETTINGS, **kw})


def _assert_same_model(a, b):
    assert a.costs == b.costs
    assert a.params.keys() == b.params.keys()
    for k in b.params:
        np.testing.assert_array_equal(host(a.params[k]), host(b.params[k]))


def _assert_same_optimizer(a, b):
    sa, sb = a.optimizer.state_dict(), b.optimizer.state_dict()
    assert sa["t"] == sb["t"]
    for slot in ("v", "s"):
        for k in sb[slot]:
            np.testing.assert_array_equal(host(sa[slot][k]), host(sb[slot][k]))


def test_ten_epochs_equal_five_then_resume_to_ten_bit_for_bit(data, tmp_path):
    path = tmp_path / "ck.npz"
    straight = _train(*data, 10)
    first = _train(*data, 5, checkpoint=path)
    assert load_checkpoint(path).epoch == 5
    resumed = _train(*data, 10, resume=path)
    assert len(first.costs) == 5
    _assert_same_model(resumed, straight)
    _assert_same_optimizer(resumed, straight)
    assert resumed.config["resumed_from"] == {"path": str(path), "epoch": 5}


@pytest.mark.parametrize("optimizer", ["gd", "momentum", "rmsprop"])
def test_resume_is_exact_for_every_optimizer(data, tmp_path, optimizer):
    path = tmp_path / "ck.npz"
    straight = _train(*data, 6, optimizer=optimizer)
    _train(*data, 4, optimizer=optimizer, checkpoint=path)
    _assert_same_model(_train(*data, 6, optimizer=optimizer, resume=path), straight)


def test_resume_is_exact_on_array_api_strict(data, tmp_path):
    strict = xpnet.get_backend("array_api_strict")
    X, Y = (strict.asarray(a) for a in data)
    path = tmp_path / "ck.npz"
    straight = _train(X, Y, 6, dtype="float64")
    _train(X, Y, 3, dtype="float64", checkpoint=path)
    _assert_same_model(_train(X, Y, 6, dtype="float64", resume=path), straight)


def test_resume_with_a_learning_rate_schedule(data, tmp_path):
    path = tmp_path / "ck.npz"
    schedule = xpnet.InverseTimeDecay(decay_rate=0.5, interval=2)
    straight = _train(*data, 8, lr_schedule=schedule)
    _train(*data, 3, lr_schedule=schedule, checkpoint=path)
    _assert_same_model(_train(*data, 8, lr_schedule=schedule, resume=path), straight)


def test_checkpoint_every_n_epochs(data, tmp_path):
    path = tmp_path / "ck.npz"
    seen = []

    def record(epoch, cost):
        if path.exists():
            seen.append((epoch, load_checkpoint(path).epoch))

    _train(*data, 7, checkpoint=path, checkpoint_every=3, callback=record)
    # after epoch index 2 three epochs are complete; after index 5, six
    assert seen == [(2, 3), (3, 3), (4, 3), (5, 6), (6, 6)]
    assert load_checkpoint(path).epoch == 7  # and once more when training ends


def test_checkpoint_holds_the_optimizer_and_random_state(data, tmp_path):
    path = tmp_path / "ck.npz"
    model = _train(*data, 2, checkpoint=path)
    ck = load_checkpoint(path)
    assert ck.optimizer == "adam" and ck.optimizer_scalars == {"t": 2 * 5}  # 5 batches/epoch
    assert set(ck.optimizer_arrays) == {"v", "s"}
    assert set(ck.optimizer_arrays["v"]) == set(model.params)
    assert ck.rng_state["bit_generator"] == "PCG64"
    assert ck.costs == model.costs and ck.layer_dims == DIMS and ck.dtype == "float32"


def test_resume_at_the_end_returns_the_checkpoint(data, tmp_path):
    path = tmp_path / "ck.npz"
    first = _train(*data, 4, checkpoint=path)
    _assert_same_model(_train(*data, 4, resume=path), first)


def test_resume_with_fewer_epochs_than_the_checkpoint_is_refused(data, tmp_path):
    """It used to return the 4-epoch model silently for num_epochs=3 (issue 17)."""
    path = tmp_path / "ck.npz"
    _train(*data, 4, checkpoint=path)
    with pytest.raises(ValueError, match="num_epochs=3 but resume=.* has 4 epochs already"):
        _train(*data, 3, resume=path)


@pytest.mark.parametrize("name, value", [("beta1", 0.8), ("beta2", 0.99), ("epsilon", 1e-6)])
def test_resume_refuses_other_optimizer_hyperparameters(data, tmp_path, name, value):
    path = tmp_path / "ck.safetensors"
    _train(*data, 2, checkpoint=path)
    with pytest.raises(ValueError, match=f"optimizer's {name}=.* but train got {name}={value}"):
        _train(*data, 4, resume=path, optimizer=xpnet.Adam(0.01, **{name: value}))
    resumed = _train(*data, 4, resume=path, learning_rate=0.02)  # the rate may change
    assert len(resumed.costs) == 4


@pytest.mark.parametrize("change, name", [
    ({"layer_dims": [5, 8, 3, 1]}, "layer_dims"),
    ({"optimizer": "gd"}, "optimizer"),
    ({"activations": ["tanh", "relu", "sigmoid"]}, "activations"),
    ({"dtype": "float64"}, "dtype"),
])
def test_resume_refuses_a_different_configuration(data, tmp_path, change, name):
    path = tmp_path / "ck.npz"
    _train(*data, 2, checkpoint=path)
    dims = change.pop("layer_dims", DIMS)
    with pytest.raises(ValueError, match=f"resume=.* was written with {name}=.* but train got"):
        xpnet.train(*data, dims, num_epochs=4, resume=path, **{**SETTINGS, **change})


def test_resume_may_change_the_learning_rate(data, tmp_path):
    path = tmp_path / "ck.npz"
    _train(*data, 2, checkpoint=path)
    assert len(_train(*data, 4, resume=path, learning_rate=0.001).costs) == 4


def test_resume_needs_a_checkpoint_file(data, tmp_path):
    with pytest.raises(FileNotFoundError, match="no such checkpoint file"):
        _train(*data, 2, resume=tmp_path / "missing.npz")
    model_file = tmp_path / "model.npz"
    _train(*data, 1).save(model_file)
    with pytest.raises(xpnet.ModelFileError, match="'xpnet-model' file, expected "
                                                   "'xpnet-checkpoint'.*params=xpnet.load"):
        _train(*data, 2, resume=model_file)


def test_a_checkpoint_is_not_a_model_file(data, tmp_path):
    path = tmp_path / "ck.npz"
    _train(*data, 1, checkpoint=path)
    with pytest.raises(xpnet.ModelFileError, match="'xpnet-checkpoint' file.*resume=path"):
        xpnet.load(path)


def test_damaged_checkpoints_are_refused(data, tmp_path):
    from xpnet.files import read_container as read_npz
    from xpnet.files import write_npz_atomic

    path = tmp_path / "ck.npz"
    _train(*data, 2, checkpoint=path)
    arrays, meta = read_npz(path, "xpnet-checkpoint")
    cases = {
        "opt.v.W1 has shape": ({**arrays, "opt.v.W1": arrays["opt.v.W1"][:, :2]}, meta),
        "unexpected array 'extra'": ({**arrays, "extra": arrays["W1"]}, meta),
        "random generator state is damaged": (arrays, {**meta, "rng_state": {"x": 1}}),
        "epoch 7 does not match": (arrays, {**meta, "epoch": 7}),
        "lacks the optimizer": (arrays, {**meta, "optimizer": "adam"}),
    }
    for match, (a, m) in cases.items():
        write_npz_atomic(path, a, m)
        with pytest.raises(xpnet.ModelFileError, match=match):
            load_checkpoint(path)


# -- Ctrl-C -------------------------------------------------------------------------------------


def test_ctrl_c_in_a_callback_returns_the_model_so_far(data):
    def interrupt(epoch, cost):
        if epoch == 3:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted .* after 4 completed epochs"):
        model = _train(*data, 10, callback=interrupt)
    _assert_same_model(model, _train(*data, 4))


def _interrupt_at_step(monkeypatch, n):
    """Raise KeyboardInterrupt in the n-th training step, whichever engine runs it."""
    calls = []
    for engine in (GenericEngine, NumpyEngine):
        real_step = engine.step

        def step(self, order, a, b, real_step=real_step):
            calls.append(1)
            if len(calls) == n:
                raise KeyboardInterrupt
            return real_step(self, order, a, b)

        monkeypatch.setattr(engine, "step", step)


def test_ctrl_c_inside_an_epoch_keeps_the_last_completed_epoch(data, monkeypatch):
    expected = _train(*data, 3)
    _interrupt_at_step(monkeypatch, 3 * 5 + 2)  # in the second batch of epoch 3
    with pytest.warns(RuntimeWarning, match="after 3 completed epochs"):
        model = _train(*data, 10)
    _assert_same_model(model, expected)
    _assert_same_optimizer(model, expected)


def test_ctrl_c_writes_a_checkpoint_that_resumes_exactly(data, tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    straight = _train(*data, 8)
    with monkeypatch.context() as patch:
        _interrupt_at_step(patch, 4 * 5 + 3)
        with pytest.warns(RuntimeWarning, match=f"checkpoint: {path}"):
            _train(*data, 8, checkpoint=path)
    assert load_checkpoint(path).epoch == 4
    _assert_same_model(_train(*data, 8, resume=path), straight)


def test_divergence_writes_a_finite_checkpoint(rng, tmp_path):
    X = rng.random((4, 40))
    Y = 3.0 * X[:1] - X[1:2]
    path = tmp_path / "ck.npz"
    with np.errstate(over="ignore", invalid="ignore"), \
            pytest.raises(xpnet.training.DivergenceError) as info:
        xpnet.train(X, Y, [4, 5, 1], activations=["relu", "linear"], optimizer="gd",
                    learning_rate=5.0, num_epochs=200, checkpoint=path)
    assert load_checkpoint(path).epoch == len(info.value.model.costs)


# -- reproducibility ----------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_run(data):
    _assert_same_model(_train(*data, 5), _train(*data, 5))
    other = _train(*data, 5, seed=4)
    assert other.costs != _train(*data, 5).costs


# -- the README's example -----------------------------------------------------------------------


def test_readme_errors_and_recovery_example_runs(tmp_path, monkeypatch, capsys):
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    section = readme.split("## Errors and recovery", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    with np.errstate(over="ignore", invalid="ignore"):
        exec(compile(code, "README.md", "exec"), {})
    assert "training diverged at epoch 4" in capsys.readouterr().out
    assert (tmp_path / "run.ckpt.npz").exists()
