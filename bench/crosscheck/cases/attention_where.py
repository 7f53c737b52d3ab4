# nanoGPT's CausalSelfAttention with its own mask: att.masked_fill(bias == 0, float('-inf')); the
# block is attention.py's.
import importlib.util, os
import jax.numpy as jnp

_spec = importlib.util.spec_from_file_location("attention", os.path.join(os.path.dirname(__file__), "attention.py"))
attention = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(attention)

DIMS = {"batch": 3}
IDS = {}

def loss(p, x, d):
    return attention.block(p, x, d, lambda att, causal: jnp.where(causal == 0, -jnp.inf, att))
