# Binary (squared) hinge, nn.MultiMarginLoss and Crammer-Singer in JAX.
import jax, jax.numpy as jnp

DIMS = {"batch": 9}
IDS = {"labels": "classes"}

def draw(rng, name, shape, d):
    if name == "y":
        return rng.choice([-1.0, 1.0], size=shape)

def loss(p, x, d):
    X, y, labels, C = x["x"], x["y"], x["labels"], d["classes"]
    f = X @ p["w"] + p["b"]
    binary = jnp.mean(jnp.maximum(0, 1 - y * f)) + 0.5 * jnp.mean(jnp.maximum(0, 1 - y * f) ** 2)
    z = X @ p["W"] + p["c"]
    right = jnp.take_along_axis(z, labels[:, None], axis=1)[:, 0]
    onehot = jax.nn.one_hot(labels, C)
    margins = jax.nn.relu(1 - right[:, None] + z)
    ww = jnp.mean(jnp.sum(jnp.where(onehot == 0, margins, 0.0), axis=1) / C)
    cs = jnp.mean(jnp.max(z + 1 - onehot, axis=1) - right)
    return binary + ww + cs + 0.01 * jnp.sum(p["W"] ** 2)
