# samples/text-classifier.adj as is: fastText's bag of embeddings, as torch.nn.EmbeddingBag(mode="mean")
# followed by nn.Linear and F.cross_entropy(logits, labels) with class indices.
import jax, jax.numpy as jnp

ADJ = "samples/text-classifier.adj"
DIMS = {"batch": 8}
IDS = {"tokens": "vocab", "labels": "classes"}

def draw(rng, name, shape, d):
    if name == "tokens":   # a small working vocabulary, so that ids repeat within and across texts
        return rng.integers(0, 40, shape)

def loss(p, x, d):
    h = p["E"][x["tokens"]].mean(axis=1)                  # EmbeddingBag(mode="mean")
    logits = h @ p["W"] + p["b"]
    logp = jax.nn.log_softmax(logits, axis=-1)
    return -jnp.mean(jnp.take_along_axis(logp, x["labels"][:, None], axis=1))   # F.cross_entropy
