# SimCLR's NT-Xent in JAX: the self-similarity masked with -inf (masked_fill), cross entropy
# against the other view's index.
import jax, jax.numpy as jnp
import numpy as np

DIMS = {}
IDS = {"positive": "two_n"}

def draw(rng, name, shape, d):
    if name == "positive":
        n = d["n"]
        return (np.arange(2 * n) + n) % (2 * n)

def loss(p, x, d):
    z = jax.nn.relu(jnp.concatenate([x["v1"], x["v2"]], axis=0) @ p["W1"] + p["b1"]) @ p["W2"]
    zn = z / jnp.sqrt(jnp.sum(z ** 2, axis=1, keepdims=True))
    sim = zn @ zn.T / 0.5
    sim = jnp.where(jnp.eye(2 * d["n"]) > 0, -jnp.inf, sim)
    logits = jax.nn.log_softmax(sim, axis=-1)
    return -jnp.mean(jnp.take_along_axis(logits, jnp.asarray(x["positive"])[:, None], axis=1))
