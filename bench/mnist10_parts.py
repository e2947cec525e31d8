"""Where a mnist-10 NumPy step's time goes, part by part, next to XLA doing the same products.

    python bench/mnist10_parts.py            # JAX rows only when jax is installed

Times, per epoch (469 steps of 128 examples), the eight matrix products of a
``[784, 128, 64, 10]`` step with the shapes the NumPy engine uses (hidden widths padded as it
pads them: 10 outputs → 12), each alone, with one and two OpenBLAS threads; the two largest
with ``jax.jit`` (a ``fori_loop`` of 469 products, two XLA threads); and the NumPy engine's
fused Adam over the 109 386-parameter flat buffer. Medians of 7 repetitions. No assertion:
numbers only, to set beside ``xpnet bench``'s epoch times taken in the same minutes.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

STEPS = 469  # mini-batches of 128 in 60000 examples
MB = 128
#: (name, left shape, right shape, left given as the transpose of a C-ordered array)
PRODUCTS = [
    ("forward X·W1ᵀ", (MB, 784), (784, 128), False),
    ("forward A1·W2ᵀ", (MB, 128), (128, 64), False),
    ("forward W3·A2ᵀ", (12, 64), (64, MB), False),
    ("backward dW3 = dZ3·A2", (12, MB), (MB, 64), False),
    ("backward dZ3ᵀ·W3", (MB, 12), (12, 64), False),
    ("backward dW2 = dZ2ᵀ·A1", (64, MB), (MB, 128), True),
    ("backward dZ2·W2", (MB, 64), (64, 128), False),
    ("backward dW1 = dZ1ᵀ·X", (128, MB), (MB, 784), True),
]


def _median_ms(fn, reps: int = 7) -> float:
    fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def numpy_products(rng: np.random.Generator) -> None:
    for threads in (1, 2):
        total = 0.0
        with threadpool_limits(threads, user_api="blas"):
            for name, a, b, transposed in PRODUCTS:
                A = (rng.standard_normal(a[::-1]).astype(np.float32).T if transposed
                     else rng.standard_normal(a).astype(np.float32))
                B = rng.standard_normal(b).astype(np.float32)
                out = np.empty((a[0], b[1]), np.float32)

                def epoch(A=A, B=B, out=out):
                    for _ in range(STEPS):
                        np.matmul(A, B, out=out)

                ms = _median_ms(epoch)
                total += ms
                gflops = 2 * a[0] * a[1] * b[1] * STEPS / ms / 1e6
                print(f"numpy {threads} thread(s)  {name:26s} {ms:7.1f} ms/epoch "
                      f"{gflops:5.0f} GFLOP/s")
        print(f"numpy {threads} thread(s)  all eight products        {total:7.1f} ms/epoch")


def jax_products(rng: np.random.Generator) -> None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        print("jax is not installed: no XLA rows")
        return
    for name, a, b, _ in (PRODUCTS[0], PRODUCTS[7]):
        A = jnp.asarray(rng.standard_normal(a).astype(np.float32))
        B = jnp.asarray(rng.standard_normal(b).astype(np.float32))

        @jax.jit
        def epoch(A, B, a=a, b=b):
            def body(i, acc):  # acc enters A so that XLA cannot hoist the product
                return acc + (A + acc[0, 0] * 0) @ B
            return jax.lax.fori_loop(0, STEPS, body, jnp.zeros((a[0], b[1]), jnp.float32))

        ms = _median_ms(lambda A=A, B=B, epoch=epoch: epoch(A, B).block_until_ready())
        gflops = 2 * a[0] * a[1] * b[1] * STEPS / ms / 1e6
        print(f"jax.jit 2 threads      {name:26s} {ms:7.1f} ms/epoch {gflops:5.0f} GFLOP/s")


def adam(rng: np.random.Generator) -> None:
    from xpnet.engines.numpy import _FlatAdam
    from xpnet.optimizers import Adam

    n = 784 * 128 + 128 * 64 + 64 * 12 + 128 + 64 + 12  # padded flat buffer, about
    theta = rng.standard_normal(n).astype(np.float32)
    grad = (rng.standard_normal(n) * 1e-3).astype(np.float32)
    tmp = np.empty_like(theta)
    kernel = _FlatAdam(n, np.float32, np)
    opt = Adam(0.001)

    def epoch():
        for _ in range(STEPS):
            kernel.update(theta, grad, tmp, opt)

    ms = _median_ms(epoch)
    print(f"numpy fused Adam over {n} floats (11 passes): {ms:.1f} ms/epoch "
          f"({ms / STEPS * 1e3:.0f} µs/step)")


if __name__ == "__main__":
    os.environ.setdefault("XLA_FLAGS",
                          "--xla_cpu_multi_thread_eigen=true intra_op_parallelism_threads=2")
    print(f"uptime: {os.getloadavg()}")
    generator = np.random.default_rng(0)
    numpy_products(generator)
    jax_products(generator)
    adam(generator)
    print(f"uptime: {os.getloadavg()}")
