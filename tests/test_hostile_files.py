"""Every damaged or hostile model file or checkpoint gives ``ModelFileError``, never allocates
more than the file holds, and never escapes as another exception (issue 17)."""

from __future__ import annotations

import io
import json
import re
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

import xpnet
from xpnet import to_numpy as host
from xpnet.checkpoint import load_checkpoint
from xpnet.files import META_KEY, ModelFileError, read_container, write_container

FORMATS = ["npz", "safetensors"]


@pytest.fixture(scope="module")
def small_model():
    rng = np.random.default_rng(0)
    X = rng.random((2, 12))
    Y = (X[:1] > 0.5).astype(np.float64)
    return xpnet.train(X, Y, [2, 2, 1], num_epochs=2, optimizer="adam")


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _zip(path, members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> None:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


@pytest.fixture
def saved_npz(small_model, tmp_path):
    path = tmp_path / "model.npz"
    small_model.save(path)
    return path


def test_a_member_that_is_not_npy(saved_npz):
    members = _members(saved_npz)
    members["notes.txt"] = b"hello"
    _zip(saved_npz, members)
    with pytest.raises(ModelFileError, match="'notes.txt' is not a .npy array"):
        xpnet.load(saved_npz)


def test_a_small_member_claiming_a_huge_array_allocates_nothing(saved_npz):
    members = _members(saved_npz)
    header = _npy(np.zeros((1, 1), np.float32))
    huge = header.replace(b"(1, 1)", b"(1000000, 1000000)".ljust(6))
    members["W1.npy"] = huge[:200]
    _zip(saved_npz, members)
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="W1"):
            xpnet.load(saved_npz)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10 << 20


def _bomb_member(zf: zipfile.ZipFile, name: str, size: int) -> None:
    with zf.open(name, "w", force_zip64=True) as fh:
        chunk = bytes(1 << 20)
        for _ in range(size >> 20):
            fh.write(chunk)


def test_an_unused_zip_bomb_member_is_never_inflated(saved_npz, tmp_path):
    members = _members(saved_npz)
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        _bomb_member(zf, "extra.npy", 64 << 20)
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    try:
        with pytest.raises(ModelFileError, match="unexpected array 'extra'"):
            xpnet.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 << 20


def test_metadata_describing_a_network_larger_than_the_file(saved_npz):
    arrays, meta = read_container(saved_npz, "xpnet-model")
    members = _members(saved_npz)
    meta["layer_dims"] = [2, 10**9, 1]
    members[META_KEY + ".npy"] = _npy(np.frombuffer(json.dumps(meta).encode(), np.uint8))
    _zip(saved_npz, members)
    with pytest.raises(ModelFileError, match="describes 16,000,000,004 bytes of arrays"):
        xpnet.load(saved_npz)


def _patch_central(path, offset_in_entry: int, fmt: str, value: int) -> None:
    """Set a field of every central-directory entry (and of the local headers: same offset
    minus 10 for the fields that both have)."""
    data = bytearray(path.read_bytes())
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        struct.pack_into(fmt, data, pos + offset_in_entry, value)
        pos = data.find(b"PK\x01\x02", pos + 4)
    pos = data.find(b"PK\x03\x04")
    while pos != -1:
        struct.pack_into(fmt, data, pos + offset_in_entry - 2, value)
        pos = data.find(b"PK\x03\x04", pos + 4)
    path.write_bytes(bytes(data))


def test_an_encrypted_flag(saved_npz):
    _patch_central(saved_npz, 8, "<H", 1)  # general-purpose flags: bit 0, encrypted
    with pytest.raises(ModelFileError, match="is encrypted"):
        xpnet.load(saved_npz)


def test_an_unknown_compression_method(saved_npz):
    _patch_central(saved_npz, 10, "<H", 99)
    with pytest.raises(ModelFileError, match="compression method 99"):
        xpnet.load(saved_npz)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("change, match", [
    ({"config": [1, 2]}, "'config' must be an object, got list"),
    ({"config": "x"}, "'config' must be an object, got str"),
    ({"costs": {"a": 1}}, "'costs' must be a list of finite numbers"),
    ({"costs": 3}, "'costs' must be a list of finite numbers"),
    ({"layer_dims": "2,2,1"}, "layer_dims must be a list"),
    ({"layer_dims": [2, True, 1]}, "layer_dims"),
    ({"activations": [1, 2]}, "activations"),
    ({"dtype": ["float32"]}, "dtype"),
    ({"costs": [10**400]}, "'costs' must be a list of finite numbers"),
    ({"history": [1, 2]}, "'history' must be an object of lists, got list"),
    ({"history": {"cost": 0.5}}, "'history' entry 'cost' must be a list, got float"),
    ({"history": {"cost": [0.5, "x"]}}, "'history' entry 'cost' must be a list of finite"),
    ({"history": {"cost": [True]}}, "'history' entry 'cost' must be a list of finite"),
    ({"history": {"cost": [[0.5]]}}, "'history' entry 'cost' must be a list of finite"),
    ({"history": {"cost": [10**400]}}, "'history' entry 'cost' must be a list of finite"),
    ({"history": {"epoch": [0, -1]}}, "'epoch' must be a list of whole numbers"),
    ({"history": {"epoch": [0.0]}}, "'epoch' must be a list of whole numbers"),
    ({"history": {"epoch": [None]}}, "'epoch' must be a list of whole numbers"),
    ({"history": {"epoch": [2**60]}}, "'epoch' must be a list of whole numbers"),
    ({"history": {"epoch": [0, 1], "cost": [0.5]}}, r"different lengths \(epoch: 2, cost: 1\)"),
    ({"history": {"": []}}, "'history' has a key of 0 characters"),
    ({"history": {"k" * 101: []}}, "'history' has a key of 101 characters"),
])
def test_metadata_of_the_wrong_type(small_model, tmp_path, fmt, change, match):
    path = tmp_path / f"m.{fmt}"
    write_container(path, small_model.params_numpy(), {**small_model.metadata(), **change})
    with pytest.raises(ModelFileError, match=match):
        xpnet.load(path)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_a_history_with_json_nan_or_infinity(small_model, tmp_path, fmt, literal):
    """JSON as Python reads it takes NaN and Infinity, which xpnet never writes."""
    path = tmp_path / f"m.{fmt}"
    text = json.dumps({**small_model.metadata(), "history": {"val_cost": [0.5, 12345.0]}})
    text = text.replace("12345.0", literal)
    write_container(path, small_model.params_numpy(), small_model.metadata())
    if fmt == "npz":
        members = _members(path)
        members[META_KEY + ".npy"] = _npy(np.frombuffer(text.encode(), np.uint8))
        _zip(path, members)
    else:
        _rewrite_safetensors_meta(path, text)
        _reseal_safetensors(path)
    with pytest.raises(ModelFileError, match="'val_cost' must be a list of finite numbers or null"):
        xpnet.load(path)


def _reseal_safetensors(path) -> None:
    """Record the sha256 of the file's (changed) metadata and data, as a forger would."""
    import hashlib

    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    digest = hashlib.sha256(header["__metadata__"]["xpnet"].encode() + data[8 + n:])
    header["__metadata__"]["xpnet_sha256"] = digest.hexdigest()
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + n:])


@pytest.mark.parametrize("fmt", FORMATS)
def test_deeply_nested_metadata(small_model, tmp_path, fmt):
    path = tmp_path / f"m.{fmt}"
    write_container(path, small_model.params_numpy(), small_model.metadata())
    text = json.dumps(small_model.metadata())
    nested = text[:-1] + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    if fmt == "npz":
        members = _members(path)
        members[META_KEY + ".npy"] = _npy(np.frombuffer(nested.encode(), np.uint8))
        _zip(path, members)
    else:
        _rewrite_safetensors_meta(path, nested)
    with pytest.raises(ModelFileError, match="nested too deeply"):
        xpnet.load(path)


def _rewrite_safetensors_meta(path, text: str) -> None:
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header["__metadata__"]["xpnet"] = text
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + n:])


def test_a_safetensors_file_checks_offsets_before_reading(small_model, tmp_path):
    path = tmp_path / "m.safetensors"
    small_model.save(path)
    data = path.read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header["W1"]["shape"] = [1000000, 1000000]
    header["W1"]["data_offsets"] = [0, 4 * 10**12]
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + n:])
    with pytest.raises(ModelFileError, match="do not follow|describes"):
        xpnet.load(path)


def test_a_safetensors_header_longer_than_the_file(small_model, tmp_path):
    path = tmp_path / "m.safetensors"
    small_model.save(path)
    data = bytearray(path.read_bytes())
    data[:8] = struct.pack("<Q", 2**62)
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="not a readable xpnet file"):
        xpnet.load(path)


def test_a_changed_weight_in_a_safetensors_file_is_caught(small_model, tmp_path):
    path = tmp_path / "m.safetensors"
    small_model.save(path)
    data = bytearray(path.read_bytes())
    data[-1] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="sha256 does not match"):
        xpnet.load(path)


# -- every single-bit flip: ModelFileError or the identical model ------------------------------


def _same_model(a, b) -> bool:
    return (a.layer_dims == b.layer_dims and a.activations == b.activations
            and a.dtype == b.dtype and a.costs == b.costs and a.config == b.config
            and a.history == b.history
            and all(np.array_equal(host(a.params[k]), host(b.params[k])) for k in b.params))


def _flip_every_bit(path, load, same, every_bit: bool = True) -> tuple[int, int]:
    """Load ``path`` with each bit flipped (or, without ``every_bit``, bit ``i % 8`` of each
    byte ``i``); each load gives ModelFileError or the same thing."""
    original = path.read_bytes()
    reference = load(path)
    refused = identical = 0
    data = bytearray(original)
    try:
        for i in range(len(data)):
            for bit in range(8) if every_bit else (i % 8,):
                data[i] ^= 1 << bit
                path.write_bytes(data)
                try:
                    loaded = load(path)
                except ModelFileError:
                    refused += 1
                else:
                    assert same(loaded, reference), f"byte {i} bit {bit}: a different result"
                    identical += 1
                data[i] ^= 1 << bit
    finally:
        path.write_bytes(original)
    return refused, identical


@pytest.fixture(scope="module")
def tiny():
    """A model as small as a real one gets: [1, 1, 1], one epoch, few settings."""
    X = np.array([[0.0, 1.0, 2.0, 3.0]])
    Y = np.array([[0.0, 0.0, 1.0, 1.0]])
    return X, Y


EVERY_BIT = [False, pytest.param(True, marks=pytest.mark.slow, id="every-bit")]


@pytest.mark.parametrize("every_bit", EVERY_BIT)
@pytest.mark.parametrize("fmt", FORMATS)
def test_bit_flips_of_a_model(tiny, tmp_path, fmt, every_bit):
    """Every byte of a model file flipped (one bit each; every bit with ``-m slow``)."""
    model = xpnet.train(*tiny, [1, 1, 1], num_epochs=1)
    model.config = {"seed": 0}
    assert set(model.history) == {"epoch", "cost", "learning_rate", "seconds"}  # flipped too
    path = tmp_path / f"m.{fmt}"
    model.save(path)
    refused, identical = _flip_every_bit(path, xpnet.load, _same_model, every_bit)
    assert refused > identical  # nearly every flip is caught; the rest hit unused fields


def _same_checkpoint(a, b) -> bool:
    return (a.epoch == b.epoch and a.costs == b.costs and a.rng_state == b.rng_state
            and a.optimizer_scalars == b.optimizer_scalars
            and a.hyperparameters == b.hyperparameters and a.config == b.config
            and all(np.array_equal(a.params[k], b.params[k]) for k in b.params)
            and all(np.array_equal(a.optimizer_arrays[s][k], b.optimizer_arrays[s][k])
                    for s in b.optimizer_arrays for k in b.optimizer_arrays[s]))


@pytest.mark.parametrize("every_bit", EVERY_BIT)
@pytest.mark.parametrize("fmt", FORMATS)
def test_bit_flips_of_a_checkpoint(tiny, tmp_path, fmt, every_bit):
    """Every byte of a checkpoint flipped (one bit each; every bit with ``-m slow``)."""
    path = tmp_path / f"ck.{fmt}"
    xpnet.train(*tiny, [1, 1, 1], num_epochs=1, optimizer="momentum", checkpoint=path)
    refused, identical = _flip_every_bit(path, load_checkpoint, _same_checkpoint, every_bit)
    assert refused > identical


# -- checkpoints whose optimizer state is damaged -----------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("t, match", [
    (None, "step count is damaged"), (-1, "step count is damaged"),
    (10**400, "step count is damaged"), (1.5, "step count is damaged"),
    ("3", "step count is damaged"), (0, "unexpected array 'opt.v.W1'"),
])
def test_a_damaged_step_count(tiny, tmp_path, fmt, t, match):
    path = tmp_path / f"ck.{fmt}"
    xpnet.train(*tiny, [1, 1, 1], num_epochs=2, optimizer="adam", checkpoint=path)
    arrays, meta = read_container(path, "xpnet-checkpoint")
    state = meta["optimizer"]["state"]
    if t is None:
        del state["t"]
    else:
        state["t"] = t
    if t == 10**400:
        write = json.dumps(meta).replace(str(10**400), "1" + "0" * 400)
        meta = json.loads(write)
    write_container(path, arrays, meta)
    with pytest.raises(ModelFileError, match=match):
        load_checkpoint(path)


@pytest.mark.parametrize("hyper, match", [
    ({"beta1": 2.0}, "hyperparameters are damaged"),
    ({"beta1": "x"}, "hyperparameters are damaged"),
    ({"gamma": 1.0}, "hyperparameters are damaged"),
])
def test_damaged_hyperparameters(tiny, tmp_path, hyper, match):
    path = tmp_path / "ck.safetensors"
    xpnet.train(*tiny, [1, 1, 1], num_epochs=2, optimizer="adam", checkpoint=path)
    arrays, meta = read_container(path, "xpnet-checkpoint")
    meta["optimizer"]["hyperparameters"].update(hyper)
    write_container(path, arrays, meta)
    with pytest.raises(ModelFileError, match=match):
        load_checkpoint(path)


# -- metadata that `xpnet predict` reads ---------------------------------------------------------


@pytest.mark.parametrize("config, match", [
    ({"input_image": [20000, 20000, 3]}, "input_image .* is not"),
    ({"input_image": [2, 2, "3"]}, "input_image .* is not"),
    ({"input_image": "2x2"}, "input_image .* is not"),
    ({"classes": ["cat"]}, "classes are not a list of 2 names"),
    ({"classes": "cat,dog"}, "classes are not a list of 2 names"),
])
def test_predict_refuses_damaged_recorded_metadata(capsys, tmp_path, config, match):
    pil = pytest.importorskip("PIL.Image")
    from xpnet.cli import main

    model = xpnet.train(np.random.default_rng(0).random((12, 6)), np.array([[0, 1] * 3]),
                        [12, 1], num_epochs=1)
    model.config.update({"input_image": [2, 2, 3], "classes": ["cat", "dog"], **config})
    model.save(tmp_path / "m.safetensors")
    pil.new("RGB", (4, 4), "white").save(tmp_path / "p.png")
    code = main(["predict", str(tmp_path / "m.safetensors"), str(tmp_path / "p.png")])
    err = capsys.readouterr().err
    assert code == 2
    assert re.search(match, err), err


@pytest.mark.parametrize("change", [
    {"state": {"state": 10**60, "inc": 3}}, {"state": {"state": -1, "inc": 3}},
    {"state": {"state": 1.5, "inc": 3}}, {"uinteger": -1}, {"has_uint32": 2},
    {"bit_generator": "MT19937"}, {"state": [1]},
])
def test_a_damaged_random_state(tiny, tmp_path, change):
    path = tmp_path / "ck.safetensors"
    xpnet.train(*tiny, [1, 1, 1], num_epochs=1, checkpoint=path)
    arrays, meta = read_container(path, "xpnet-checkpoint")
    meta["rng_state"].update(change)
    write_container(path, arrays, meta)
    with pytest.raises(ModelFileError, match="random generator state is damaged"):
        load_checkpoint(path)


@pytest.mark.parametrize("kind", ["model", "checkpoint"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_random_damage_gives_model_file_error_only(tiny, tmp_path, fmt, kind):
    """Several bytes replaced, the file cut, bytes inserted or deleted: 400 damaged copies, each
    refused with ModelFileError (no other exception) or read whole."""
    rng = np.random.default_rng(7)
    path = tmp_path / f"x.{fmt}"
    if kind == "model":
        xpnet.train(*tiny, [1, 2, 1], num_epochs=2).save(path)
        load = xpnet.load
    else:
        xpnet.train(*tiny, [1, 2, 1], num_epochs=2, checkpoint=path)
        load = load_checkpoint
    original = path.read_bytes()
    for i in range(400):
        data = bytearray(original)
        at = int(rng.integers(len(data)))
        if i % 4 == 0:
            for _ in range(int(rng.integers(2, 6))):
                data[int(rng.integers(len(data)))] = int(rng.integers(256))
        elif i % 4 == 1:
            data = data[:at]
        elif i % 4 == 2:
            data[at:at] = rng.integers(0, 256, int(rng.integers(1, 20))).astype(np.uint8).tobytes()
        else:
            del data[at:at + int(rng.integers(1, 30))]
        path.write_bytes(data)
        try:
            load(path)
        except ModelFileError:
            pass
