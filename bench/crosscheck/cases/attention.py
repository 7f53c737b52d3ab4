# samples/attention.adj as is: nanoGPT's CausalSelfAttention (no biases, no dropout) plus a residual,
# trained with F.mse_loss. The mask is applied as the sample does: scores * causal - 1e9 * (1 - causal).
import jax, jax.numpy as jnp

ADJ = "samples/attention.adj"
DIMS = {"batch": 3}
IDS = {}

def block(p, x, d, mask):
    """The attention block's loss, with `mask(scores, causal)` applied before the softmax."""
    B, T, C, H = x["x"].shape[0], d["seq"], d["model"], d["heads"]
    hs = C // H
    X = x["x"]
    def heads(t):                                       # (B, T, C) -> (B, nh, T, hs)
        return t.reshape(B, T, H, hs).transpose(0, 2, 1, 3)
    q, k, v = heads(X @ p["Wq"]), heads(X @ p["Wk"]), heads(X @ p["Wv"])
    att = (q @ jnp.swapaxes(k, -2, -1)) / jnp.sqrt(hs)
    att = jax.nn.softmax(mask(att, jnp.tril(jnp.ones((T, T)))), axis=-1)
    y = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, C)
    out = y @ p["Wo"] + X
    return jnp.mean((out - x["y"]) ** 2)

def loss(p, x, d):
    return block(p, x, d, lambda att, causal: att * causal - 1e9 * (1 - causal))
