# jax.scipy.special.erf, jax.nn.silu / elu / gelu, jnp.log1p / expm1 / sign / floor / round (ties to
# even), jnp.trace / diagonal / diag; optax-style smoothed probability targets; number targets.
import jax, jax.numpy as jnp
from jax.scipy.special import erf

DIMS = {"batch": 7}
IDS = {}

def huber(d, delta=1.0):
    a = jnp.abs(d)
    return jnp.mean(jnp.where(a <= delta, 0.5 * a * a, delta * (a - 0.5 * delta)))

def loss(p, x, d):
    z = x["x"] @ p["W"]
    f = (erf(z) + jax.nn.silu(z + p["c"]) + jax.nn.elu(z, alpha=0.7) + jnp.log1p(z * z) + jnp.expm1(-(z * z))
         + jax.nn.gelu(z, approximate=False) * jnp.sign(x["x"]) + jnp.floor(x["x"]) * z + jnp.round(2 * x["x"]) * z)
    A, v = p["A"], p["v"]
    t = jnp.trace(A @ A.T) + jnp.sum(jnp.diagonal(A) * v) + jnp.sum(jnp.diag(v) @ A * p["W"])
    eps = 0.2
    target = (1 - eps) * jax.nn.softmax(x["y"], axis=-1) + eps / 6
    sce = jnp.mean(-jnp.sum(target * jax.nn.log_softmax(f, axis=-1), axis=-1))
    return jnp.mean(f * f) + sce + t / 36 + huber(z @ jnp.diag(v))
