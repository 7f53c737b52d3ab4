#!/usr/bin/env python3
"""The peers of bench/run: the same training step (dense ReLU layers, softmax cross-entropy, mean over
the batch, then SGD or Adam) in jax.jit and in PyTorch eager, float32 on the CPU, timed like the
generated kernels: median microseconds per step over RUNS runs of STEPS steps, after 3 warm-up steps.

    bench/peers.py FRAMEWORK SIZES BATCH RULE RUNS STEPS THREADS
    (FRAMEWORK: jax or torch; SIZES: 784,256,10; RULE: sgd or adam)

Prints `NAME median low high`. One framework per process: their thread pools would compete. Not needed by CI; bench/run calls it when
`import jax, torch` works. THREADS: torch.set_num_threads; XLA is told through XLA_FLAGS by bench/run.
"""
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
        name, (median, low, high) = "jax.jit", jax_step(sizes, batch, rule, runs, steps)
    else:
        name, (median, low, high) = "pytorch-eager", torch_step(sizes, batch, rule, runs, steps, threads)
    print(f"{name} {median:.1f} {low:.1f} {high:.1f}", flush=True)


if __name__ == "__main__":
    main()
