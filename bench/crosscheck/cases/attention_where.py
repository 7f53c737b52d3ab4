# nanoGPT's CausalSelfAttention with its own mask: att.masked_fill(bias == 0, float('-inf')).
import jax, jax.numpy as jnp

DIMS = {"batch": 3}
IDS = {}

def loss(p, x, d):
    B, T, C, H = x["x"].shape[0], d["seq"], d["model"], d["heads"]
    hs = C // H
    X = x["x"]
    heads = lambda t: t.reshape(B, T, H, hs).transpose(0, 2, 1, 3)
    q, k, v = heads(X @ p["Wq"]), heads(X @ p["Wk"]), heads(X @ p["Wv"])
    att = (q @ jnp.swapaxes(k, -2, -1)) / jnp.sqrt(hs)
    att = jnp.where(jnp.tril(jnp.ones((T, T))) == 0, -jnp.inf, att)
    att = jax.nn.softmax(att, axis=-1)
    y = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, C)
    return jnp.mean((y @ p["Wo"] + X - x["y"]) ** 2)
