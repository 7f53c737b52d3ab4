# The char-level slicing model in JAX.
import jax, jax.numpy as jnp

DIMS = {"batch": 7}
IDS = {"chars": "vocab", "next": "vocab"}

def loss(p, x, d):
    X = p["C"][x["chars"]]
    B = X.shape[0]
    first = X[:, 0:4].reshape(B, -1)
    evens = X[:, ::2].mean(axis=1)
    odds = X[:, 1::2].mean(axis=1)
    last = X[:, -1]
    lastf = X[..., -1]
    feats = jnp.concatenate([first, evens, odds, last, lastf], axis=1)
    h = jnp.tanh(feats @ p["W1"] + p["b1"])
    logits = jnp.stack([h @ p["Wa"] + p["ba"], h @ p["Wb"] + p["bb"]], axis=0).mean(axis=0)
    pair = jnp.stack([evens, last], axis=1)
    logp = jax.nn.log_softmax(logits)
    ce = -jnp.mean(logp[jnp.arange(B), x["next"]])
    return ce + 0.1 * jnp.mean((pair[:, 1] - pair[:, 0]) ** 2)
