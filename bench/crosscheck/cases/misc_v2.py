# The version 2 odds and ends in JAX.
import jax, jax.numpy as jnp

DIMS = {"batch": 6}
IDS = {"labels": "classes", "cols": "e"}

def draw(rng, name, shape, d):
    if name == "cols":
        return [5, 1, 5]                      # a repeated column: take's gradient accumulates

def loss(p, x, d):
    X = x["x"]
    B, S = X.shape[0], d["seq"]
    H, dk, e, C = d["heads"], d["dk"], d["e"], d["classes"]
    taps = jnp.array([[0.5, 0.25, 0], [0.25, 0.5, 0.25], [0, 0.25, 0.5]])
    weights = jnp.array([1, 0.5, 2, 1.5])
    h = jnp.tanh(X @ p["W"])
    r = h @ (jnp.eye(e) + p["M"])
    qk = r @ p["Wqk"]
    split = lambda t: t.reshape(B, S, H, dk).transpose(0, 2, 1, 3)
    q, k, v = split(qk[..., :8]), split(qk[..., 8:]), split(r)
    att = jax.nn.softmax(q @ k.transpose(0, 1, 3, 2) / jnp.sqrt(dk), axis=-1)
    ctx = (att @ v).transpose(0, 2, 1, 3).reshape(B, S, e)
    pooled = ctx.sum(axis=1) / S
    logits = pooled @ p["Wc"] + p["bc"]
    labels = x["labels"]
    brier = jnp.mean((jax.nn.softmax(logits) - jax.nn.one_hot(labels, C)) ** 2)
    correct = jnp.take_along_axis(logits, labels[:, None], axis=1)
    svm = jnp.mean(jnp.sum(jax.nn.relu(logits - correct + 1) * weights, axis=1))
    smooth = jnp.take(pooled, jnp.asarray(x["cols"]), axis=1) @ taps
    penalty = jnp.sum(smooth ** 2) / B
    return brier + svm + 0.01 * penalty
