# word2vec SGNS via the binary cross-entropy with logits (optax.sigmoid_binary_cross_entropy).
import jax, jax.numpy as jnp

DIMS = {"batch": 12}
IDS = {"center": "vocab", "context": "vocab", "negatives": "vocab"}

def bce_logits(z, t):                          # optax.sigmoid_binary_cross_entropy, averaged
    return jnp.mean(-t * jax.nn.log_sigmoid(z) - (1 - t) * jax.nn.log_sigmoid(-z))

def loss(p, x, d):
    v = p["W_in"][x["center"]]
    all_scores = v @ p["W_out"].T
    pos = jnp.take_along_axis(all_scores, x["context"][:, None], axis=1)[:, 0]
    noise = jnp.sum(p["W_out"][x["negatives"]] * v[:, None, :], axis=-1)
    return bce_logits(pos, jnp.ones_like(pos)) + d["neg"] * bce_logits(noise, jnp.zeros_like(noise))
