#!/usr/bin/env python3
"""The peers of bench/run: the same training step (dense ReLU layers, softmax cross-entropy, mean over
the batch, then SGD or Adam) in jax.jit and in PyTorch eager, float32 on the CPU, timed like the
generated kernels: median microseconds per step over RUNS runs of STEPS steps, after 3 warm-up steps.

    bench/peers.py FRAMEWORK SIZES BATCH RULE RUNS STEPS THREADS
    (FRAMEWORK: jax or torch; SIZES: 784,256,10; RULE: sgd or adam)

Prints `NAME median low high`, NAME naming the instruction set the peer was allowed (`jax.jit/AVX2`,
`pytorch-eager/AVX512`). One framework per process: their thread pools would compete. Not needed by CI;
bench/run calls it when `import jax, torch` works. THREADS: torch.set_num_threads; XLA uses its
default pool (as many threads as cores).

bench/run caps the peers at AVX2 beside the kernels' `-march=haswell` rows with the environment (each
checked on a Zen 5 EPYC with AVX-512, jaxlib 0.10.2 and torch 2.15.0):
- XLA: `XLA_FLAGS=--xla_cpu_max_isa=AVX2` caps only the code XLA's LLVM emits (the fusions); its dots
  go to YNNPACK, which picks its kernels from CPUID alone (`ynn::dot_fp32_5x64x1_1x16x1_avx512` in
  `perf`) and has no cap. `--xla_cpu_experimental_ynn_fusion_type=` (empty) keeps the dots out of
  YNNPACK, so they go to oneDNN, which `ONEDNN_MAX_CPU_ISA=AVX2` caps (`ONEDNN_VERBOSE=1` prints
  `isa:Intel AVX2`); uncapped, oneDNN's dot is as fast as YNNPACK's (1024^3 on 2 threads: 141-156
  against 137-148 GFLOP/s), so the detour costs jax nothing of its own.
- PyTorch: `ATEN_CPU_CAPABILITY=avx2` (the elementwise kernels; `torch.backends.cpu.get_cpu_capability()`
  says AVX2), `ONEDNN_MAX_CPU_ISA=AVX2` and `MKL_ENABLE_INSTRUCTIONS=AVX2` for the products. MKL ignores
  the latter on AMD CPUs, where it always runs its AVX2 kernels (`mkl_blas_def_sgemm_kernel_0_zen`).
"""
import os
import statistics
import sys
import time

import numpy as np


def timed(step, runs, steps):
    for _ in range(3):
        step()
    per_step = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        per_step.append((time.perf_counter() - start) / steps * 1e6)
    return statistics.median(per_step), min(per_step), max(per_step)


def data(sizes, batch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((batch, sizes[0]), dtype=np.float32)
    y = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], batch)]
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append(rng.standard_normal((fan_in, fan_out), dtype=np.float32) * np.float32(np.sqrt(2 / fan_in)))
        params.append(np.zeros(fan_out, dtype=np.float32))
    return x, y, params


def jax_step(sizes, batch, rule, runs, steps):
    import jax
    import jax.numpy as jnp

    x, y, params = data(sizes, batch)
    lr, beta1, beta2, eps = (0.01 if rule == "sgd" else 0.001), 0.9, 0.999, 1e-8

    def loss(params, x, y):
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = jax.nn.relu(h)
        return -jnp.mean(jnp.sum(y * jax.nn.log_softmax(h), axis=1))

    @jax.jit
    def sgd(params, x, y):
        grads = jax.grad(loss)(params, x, y)
        return [p - lr * g for p, g in zip(params, grads)]

    @jax.jit
    def adam(state, x, y):
        params, m, v, t = state
        grads = jax.grad(loss)(params, x, y)
        t = t + 1
        m = [beta1 * a + (1 - beta1) * g for a, g in zip(m, grads)]
        v = [beta2 * a + (1 - beta2) * g * g for a, g in zip(v, grads)]
        lr_t = lr / (1 - beta1**t)
        root = jnp.sqrt(1 - beta2**t)
        params = [p - lr_t * a / (jnp.sqrt(b) / root + eps) for p, a, b in zip(params, m, v)]
        return params, m, v, t

    x, y = jnp.asarray(x), jnp.asarray(y)
    if rule == "sgd":
        state = [[jnp.asarray(p) for p in params]]

        def step():
            state[0] = sgd(state[0], x, y)
            jax.block_until_ready(state[0])
    else:
        zeros = [jnp.zeros_like(jnp.asarray(p)) for p in params]
        state = [([jnp.asarray(p) for p in params], zeros, zeros, jnp.float32(0))]

        def step():
            state[0] = adam(state[0], x, y)
            jax.block_until_ready(state[0])
    return timed(step, runs, steps)


def torch_step(sizes, batch, rule, runs, steps, threads):
    import torch

    torch.set_num_threads(threads)
    x, y, params = data(sizes, batch)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    params = [torch.from_numpy(p).requires_grad_() for p in params]
    optimizer = torch.optim.SGD(params, lr=0.01) if rule == "sgd" else torch.optim.Adam(params, lr=0.001)

    def step():
        optimizer.zero_grad(set_to_none=True)
        h = x
        for i in range(0, len(params), 2):
            h = h @ params[i] + params[i + 1]
            if i + 2 < len(params):
                h = torch.relu(h)
        loss = torch.nn.functional.cross_entropy(h, y)
        loss.backward()
        optimizer.step()

    return timed(step, runs, steps)


def main():
    framework, sizes = sys.argv[1], [int(s) for s in sys.argv[2].split(",")]
    batch, rule, runs, steps, threads = int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
    if framework == "jax":
        median, low, high = jax_step(sizes, batch, rule, runs, steps)
        isa = "AVX2" if "xla_cpu_max_isa=AVX2" in os.environ.get("XLA_FLAGS", "") else "native"
        name = f"jax.jit/{isa}"
    else:
        median, low, high = torch_step(sizes, batch, rule, runs, steps, threads)
        import torch

        name = f"pytorch-eager/{torch.backends.cpu.get_cpu_capability()}"
    print(f"{name} {median:.1f} {low:.1f} {high:.1f}", flush=True)


if __name__ == "__main__":
    main()
