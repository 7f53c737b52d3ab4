# word2vec SGNS as in the usual PyTorch port (torch.bmm + F.logsigmoid), in JAX.
import jax, jax.numpy as jnp

DIMS = {"batch": 16}
IDS = {"center": "vocab", "context": "vocab", "negatives": "vocab"}

def draw(rng, name, shape, d):
    return rng.integers(0, 30, shape)          # frequent words: ids repeat, gradients accumulate

def loss(p, x, d):
    v = p["W_in"][x["center"]]
    u = p["W_out"][x["context"]]
    u_neg = p["W_out"][x["negatives"]]
    pos = jnp.sum(v * u, axis=1)
    scores = jnp.squeeze(u_neg @ v[:, :, None], axis=2)       # torch.bmm(emb_neg, emb_v.unsqueeze(2)).squeeze()
    return -jnp.mean(jax.nn.log_sigmoid(pos) + jnp.sum(jax.nn.log_sigmoid(-scores), axis=1))
