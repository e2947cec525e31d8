"""Export a trained network to ONNX, so it runs in onnxruntime and other ONNX runtimes.

The graph is the forward pass of :func:`xpnet.forward`, layer by layer: ``Gemm`` (``X · Wᵀ +
bᵀ``) and the layer's activation (``Relu``, ``Tanh``, ``Sigmoid``, ``Softmax``; leaky ReLU as
``Max(Z, α·Z)``; nothing for a linear output). ONNX tools put examples first, so the graph's
input ``X`` is (m, n_0), **one example per row** (the transpose of xpnet's ``X``), and its
output ``probabilities`` is (m, n_L): ``model.predict_proba(X).T``. The number of examples is
a free dimension ``m``. The weights are stored in the model's dtype (float32 or float64); the
layer sizes and activations are recorded in the model's ``metadata_props``.

Needs the ``onnx`` package (``pip install "xpnet[onnx]"``); running the file needs a runtime
such as ``onnxruntime``.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .architecture import Architecture
from .files import write_bytes_atomic

#: The ONNX operator set the graph is written for (onnxruntime ≥ 1.12 runs it).
OPSET = 17
#: The ONNX IR version matching :data:`OPSET`, so that older runtimes accept the file.
IR_VERSION = 8


def _onnx() -> Any:
    try:
        import onnx
    except ImportError:
        raise ImportError("exporting to ONNX needs the onnx package: "
                          'pip install "xpnet[onnx]"  (or pip install onnx)') from None
    return onnx


def onnx_model(params: dict[str, np.ndarray], arch: Architecture, dtype: str) -> Any:
    """The ``onnx.ModelProto`` computing ``arch``'s forward pass with ``params`` (NumPy)."""
    onnx = _onnx()
    helper, TensorProto = onnx.helper, onnx.TensorProto
    elem = TensorProto.FLOAT if dtype == "float32" else TensorProto.DOUBLE
    np_dtype = np.dtype(dtype)
    nodes, inits = [], []
    current = "X"
    for layer, act in zip(arch.layers, arch.acts, strict=True):
        l = layer.index
        W = np.asarray(params[layer.weight], dtype=np_dtype)
        b = np.asarray(params[layer.bias], dtype=np_dtype).reshape(-1)
        inits += [onnx.numpy_helper.from_array(W, f"W{l}"),
                  onnx.numpy_helper.from_array(b, f"b{l}")]
        z = f"Z{l}"
        nodes.append(helper.make_node("Gemm", [current, f"W{l}", f"b{l}"], [z], transB=1,
                                      name=f"linear{l}"))
        out = "probabilities" if l == arch.num_layers else f"A{l}"
        name = act.name
        if name == "relu":
            nodes.append(helper.make_node("Relu", [z], [out], name=f"relu{l}"))
        elif name == "tanh":
            nodes.append(helper.make_node("Tanh", [z], [out], name=f"tanh{l}"))
        elif name == "sigmoid":
            nodes.append(helper.make_node("Sigmoid", [z], [out], name=f"sigmoid{l}"))
        elif name == "softmax":
            nodes.append(helper.make_node("Softmax", [z], [out], axis=1, name=f"softmax{l}"))
        elif name == "leaky_relu":
            alpha = np.asarray(getattr(act, "alpha", 0.01), dtype=np_dtype)
            inits.append(onnx.numpy_helper.from_array(alpha, f"alpha{l}"))
            nodes.append(helper.make_node("Mul", [z, f"alpha{l}"], [f"aZ{l}"], name=f"slope{l}"))
            nodes.append(helper.make_node("Max", [z, f"aZ{l}"], [out], name=f"leaky_relu{l}"))
        elif name == "linear":
            nodes.append(helper.make_node("Identity", [z], [out], name=f"linear_out{l}"))
        else:  # pragma: no cover - every activation of xpnet is handled above
            raise ValueError(f"activation {name!r} has no ONNX export")
        current = out
    dims = arch.layer_dims
    graph = helper.make_graph(
        nodes, "xpnet",
        [helper.make_tensor_value_info("X", elem, ["m", dims[0]])],
        [helper.make_tensor_value_info("probabilities", elem, ["m", dims[-1]])],
        initializer=inits,
    )
    model = helper.make_model(graph, producer_name="xpnet",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    helper.set_model_props(model, {"layer_dims": str(list(dims)),
                                   "activations": ",".join(arch.activations),
                                   "input_layout": "examples x features (xpnet's X transposed)"})
    onnx.checker.check_model(model)
    return model


def save_onnx(path: str | os.PathLike, params: dict[str, np.ndarray], arch: Architecture,
              dtype: str) -> None:
    """Write the ONNX model of ``arch`` with ``params`` to ``path``, atomically."""
    write_bytes_atomic(path, onnx_model(params, arch, dtype).SerializeToString())
