/* Times the hand-written baseline (baseline/mlp.c) on a bench model's shape. Built by bench/run
   with -DSIZES=784,256,10 -DLAYERS=2 -DBATCH=128 -DADAM=1 -DRUNS=7 -DSTEPS=200. */
#include "timing.h"
#include "../baseline/mlp.h"

int main(void)
{
    const int sizes[] = {SIZES};
    mlp net;
    mlp_create(&net, LAYERS, sizes, BATCH, ADAM, ADAM ? 0.001f : 0.01f);
    float *x = malloc(sizeof(float) * BATCH * sizes[0]);
    float *y = malloc(sizeof(float) * BATCH * sizes[LAYERS]);
    bench_data(x, y, BATCH, sizes[0], sizes[LAYERS]);
    double per_step[RUNS];
    float loss = 0;
    for (int warm = 0; warm < 3; ++warm) loss = mlp_step(&net, x, y, BATCH);
    for (int run = 0; run < RUNS; ++run) {
        double start = bench_now();
        for (int s = 0; s < STEPS; ++s) loss = mlp_step(&net, x, y, BATCH);
        per_step[run] = (bench_now() - start) / STEPS * 1e6;
    }
    bench_report("baseline", per_step, RUNS, loss);
    mlp_destroy(&net);
    free(y);
    free(x);
    return loss == loss ? 0 : 1;
}
