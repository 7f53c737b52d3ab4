/* The hand-written C baseline of bench/: a multilayer perceptron (dense layers x @ W + b, relu
   between them, mean softmax cross-entropy on one-hot targets) trained by SGD or Adam, written
   the way a careful programmer writes plain C loops: row-major, i-k-j matmul order with a
   contiguous innermost loop, no intrinsics, no threads. The generated kernels are measured
   against it in the same run. */
#ifndef ADJOINT_BENCH_MLP_H
#define ADJOINT_BENCH_MLP_H

#include <stddef.h>

enum { MLP_MAX_LAYERS = 4 };

typedef struct mlp {
    int layers;                         /* dense layers */
    int sizes[MLP_MAX_LAYERS + 1];      /* sizes[0] inputs ... sizes[layers] classes */
    int batch;                          /* the largest batch the buffers hold */
    int adam;                           /* 0: SGD, 1: Adam */
    float lr, beta1, beta2, eps;
    long t;
    float *W[MLP_MAX_LAYERS], *b[MLP_MAX_LAYERS];
    float *gW[MLP_MAX_LAYERS], *gb[MLP_MAX_LAYERS];
    float *mW[MLP_MAX_LAYERS], *mb[MLP_MAX_LAYERS], *vW[MLP_MAX_LAYERS], *vb[MLP_MAX_LAYERS];
    float *act[MLP_MAX_LAYERS + 1];     /* act[0] is the input; act[l] the output of layer l */
    float *delta[MLP_MAX_LAYERS + 1];   /* d loss / d pre-activation of layer l */
} mlp;

/* Allocates and initializes (He-like uniform weights from a fixed seed, zero biases). */
int mlp_create(mlp *net, int layers, const int *sizes, int batch, int adam, float lr);
void mlp_destroy(mlp *net);
/* One training step on a batch; returns the loss before the update. */
float mlp_step(mlp *net, const float *x, const float *y, int batch);

#endif
