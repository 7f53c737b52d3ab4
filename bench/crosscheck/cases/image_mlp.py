# The image MLP in JAX (torch.flatten(x, 1), x.unsqueeze(1), .squeeze(1), .view(B, 4, -1)).
import jax, jax.numpy as jnp

DIMS = {"batch": 6}
IDS = {"labels": 10}

def loss(p, x, d):
    X = x["images"][:, None]
    B = X.shape[0]
    rows = jnp.squeeze(X, axis=1)
    h = jax.nn.relu(X.reshape(B, -1) @ p["W1"] + p["b1"])
    g = h.reshape(B, d["groups"], -1)
    hn = (g - g.mean(axis=2, keepdims=True)).reshape(B, -1)
    logits = hn @ p["W2"] + p["b2"]
    bright = jnp.squeeze(hn @ p["Wr"] + p["br"], axis=1)
    edge = jnp.sum(rows[:, 0] * rows[:, -1], axis=1)
    logp = jax.nn.log_softmax(logits)
    ce = -jnp.mean(logp[jnp.arange(B), x["labels"]])
    return ce + jnp.mean((bright - (x["brightness"] + 0.1 * edge)) ** 2)
