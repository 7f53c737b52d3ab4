# The attention classifier in JAX, as nanoGPT's Block (attention + MLP, no layer norm) with a
# last-token head and F.nll_loss(torch.log(F.softmax(logits)), labels).
import jax, jax.numpy as jnp

DIMS = {"batch": 5}
IDS = {"tokens": "vocab", "labels": "classes"}

def loss(p, x, d):
    tokens = x["tokens"]
    B, T = tokens.shape
    C, H = d["model"], d["heads"]
    hs = C // H
    X = p["tok"][tokens] + p["pos"]
    q, k, v = jnp.split(X @ p["Wqkv"] + p["bqkv"], 3, axis=2)      # c_attn(x).split(n_embd, dim=2)
    heads = lambda t: t.reshape(B, T, H, hs).transpose(0, 2, 1, 3)
    q, k, v = heads(q), heads(k), heads(v)
    att = (q @ jnp.swapaxes(k, -2, -1)) / jnp.sqrt(hs)
    causal = jnp.tril(jnp.ones((T, T)))
    att = jax.nn.softmax(att * causal - 1e9 * (1 - causal), axis=-1)
    y = (att @ v).transpose(0, 2, 1, 3).reshape(B, T, C)
    h = X + (y @ p["Wo"] + p["bo"])
    h2 = h + (jax.nn.relu(h @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])
    logits = h2[:, -1, :] @ p["Wc"] + p["bc"]
    probs = jax.nn.softmax(logits)
    return -jnp.mean(jnp.log(probs[jnp.arange(B), x["labels"]]))
