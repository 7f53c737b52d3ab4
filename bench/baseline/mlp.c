/* See mlp.h. */
#include "mlp.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t splitmix(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static float *zeros(size_t count) { return calloc(count ? count : 1, sizeof(float)); }

int mlp_create(mlp *net, int layers, const int *sizes, int batch, int adam, float lr)
{
    memset(net, 0, sizeof *net);
    net->layers = layers;
    net->batch = batch;
    net->adam = adam;
    net->lr = lr;
    net->beta1 = 0.9f;
    net->beta2 = 0.999f;
    net->eps = 1e-8f;
    uint64_t seed = 42;
    for (int l = 0; l <= layers; ++l) {
        net->sizes[l] = sizes[l];
        net->act[l] = zeros((size_t)batch * sizes[l]);
        net->delta[l] = zeros((size_t)batch * sizes[l]);
    }
    for (int l = 0; l < layers; ++l) {
        size_t count = (size_t)sizes[l] * sizes[l + 1];
        net->W[l] = zeros(count);
        net->gW[l] = zeros(count);
        net->mW[l] = zeros(count);
        net->vW[l] = zeros(count);
        net->b[l] = zeros(sizes[l + 1]);
        net->gb[l] = zeros(sizes[l + 1]);
        net->mb[l] = zeros(sizes[l + 1]);
        net->vb[l] = zeros(sizes[l + 1]);
        float limit = sqrtf(6.0f / sizes[l]);
        for (size_t i = 0; i < count; ++i)
            net->W[l][i] = limit * (2.0f * (float)((splitmix(&seed) >> 11) * 0x1.0p-53) - 1.0f);
    }
    return 1;
}

void mlp_destroy(mlp *net)
{
    for (int l = 0; l <= net->layers; ++l) {
        free(net->act[l]);
        free(net->delta[l]);
    }
    for (int l = 0; l < net->layers; ++l) {
        free(net->W[l]); free(net->gW[l]); free(net->mW[l]); free(net->vW[l]);
        free(net->b[l]); free(net->gb[l]); free(net->mb[l]); free(net->vb[l]);
    }
}

/* out[B,n] = in[B,k] W[k,n] + b, then relu if asked. */
static void dense(const float *in, const float *W, const float *b, float *out, int B, int k, int n, int relu)
{
    for (int i = 0; i < B; ++i) {
        float *row = out + (size_t)i * n;
        for (int j = 0; j < n; ++j) row[j] = b[j];
        for (int p = 0; p < k; ++p) {
            float a = in[(size_t)i * k + p];
            const float *w = W + (size_t)p * n;
            for (int j = 0; j < n; ++j) row[j] += a * w[j];
        }
        if (relu)
            for (int j = 0; j < n; ++j) row[j] = row[j] > 0 ? row[j] : 0;
    }
}

static void update(mlp *net, float *p, float *g, float *m, float *v, size_t count, float step_size, float bc2_sqrt)
{
    if (!net->adam) {
        for (size_t i = 0; i < count; ++i) p[i] -= net->lr * g[i];
        return;
    }
    for (size_t i = 0; i < count; ++i) {
        m[i] = net->beta1 * m[i] + (1 - net->beta1) * g[i];
        v[i] = net->beta2 * v[i] + (1 - net->beta2) * g[i] * g[i];
        p[i] -= step_size * m[i] / (sqrtf(v[i]) / bc2_sqrt + net->eps);
    }
}

float mlp_step(mlp *net, const float *x, const float *y, int B)
{
    int L = net->layers;
    const int *n = net->sizes;
    memcpy(net->act[0], x, (size_t)B * n[0] * sizeof(float));
    for (int l = 0; l < L; ++l) dense(net->act[l], net->W[l], net->b[l], net->act[l + 1], B, n[l], n[l + 1], l + 1 < L);

    /* softmax cross-entropy and its gradient (softmax - y) / B */
    int C = n[L];
    float loss = 0;
    for (int i = 0; i < B; ++i) {
        const float *z = net->act[L] + (size_t)i * C;
        float *d = net->delta[L] + (size_t)i * C;
        float largest = z[0];
        for (int j = 1; j < C; ++j) largest = z[j] > largest ? z[j] : largest;
        float total = 0;
        for (int j = 0; j < C; ++j) total += expf(z[j] - largest);
        float lse = largest + logf(total);
        for (int j = 0; j < C; ++j) {
            loss += y[(size_t)i * C + j] * (lse - z[j]);
            d[j] = (expf(z[j] - lse) - y[(size_t)i * C + j]) / B;
        }
    }
    loss /= B;

    for (int l = L - 1; l >= 0; --l) {
        int k = n[l], m = n[l + 1];
        const float *a = net->act[l], *d = net->delta[l + 1];
        /* gW = aᵀ d, gb = Σ_batch d */
        memset(net->gW[l], 0, (size_t)k * m * sizeof(float));
        memset(net->gb[l], 0, (size_t)m * sizeof(float));
        for (int i = 0; i < B; ++i) {
            for (int p = 0; p < k; ++p) {
                float s = a[(size_t)i * k + p];
                float *g = net->gW[l] + (size_t)p * m;
                for (int j = 0; j < m; ++j) g[j] += s * d[(size_t)i * m + j];
            }
            for (int j = 0; j < m; ++j) net->gb[l][j] += d[(size_t)i * m + j];
        }
        /* delta of the layer below: (d Wᵀ) ⊙ relu'(its output) */
        if (l > 0) {
            float *below = net->delta[l];
            for (int i = 0; i < B; ++i)
                for (int p = 0; p < k; ++p) {
                    const float *w = net->W[l] + (size_t)p * m;
                    const float *row = d + (size_t)i * m;
                    float s = 0;
                    for (int j = 0; j < m; ++j) s += row[j] * w[j];
                    below[(size_t)i * k + p] = a[(size_t)i * k + p] > 0 ? s : 0;
                }
        }
    }

    net->t += 1;
    float step_size = net->lr / (1 - powf(net->beta1, (float)net->t));
    float bc2_sqrt = sqrtf(1 - powf(net->beta2, (float)net->t));
    for (int l = 0; l < L; ++l) {
        update(net, net->W[l], net->gW[l], net->mW[l], net->vW[l], (size_t)n[l] * n[l + 1], step_size, bc2_sqrt);
        update(net, net->b[l], net->gb[l], net->mb[l], net->vb[l], (size_t)n[l + 1], step_size, bc2_sqrt);
    }
    return loss;
}
