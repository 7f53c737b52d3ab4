/* Times the generated NAME_step of a bench model. Built by bench/run with
   -DMODEL=name -DFEATURES=784 -DCLASSES=10 -DBATCH=128 -DRUNS=7 -DSTEPS=200 and the generated
   MODEL.h on the include path. */
#include "timing.h"

#define BENCH_STRING2(x) #x
#define BENCH_STRING(x) BENCH_STRING2(x)
#include BENCH_STRING(MODEL.h)

#define BENCH_CAT2(a, b) a##_##b
#define BENCH_CAT(a, b) BENCH_CAT2(a, b)
#define KERNEL(name) BENCH_CAT(MODEL, name)

int main(void)
{
    static KERNEL(params) params;
    static KERNEL(state) state;
    KERNEL(init)(&params, 1);
    KERNEL(state_init)(&state);
    float *x = malloc(sizeof(float) * BATCH * FEATURES);
    float *y = malloc(sizeof(float) * BATCH * CLASSES);
    void *workspace = NULL;
    if (posix_memalign(&workspace, 64, KERNEL(workspace_size)(BATCH) + 64) != 0) return 2;
    bench_data(x, y, BATCH, FEATURES, CLASSES);
    double per_step[RUNS];
    float loss = 0;
    for (int warm = 0; warm < 3; ++warm) loss = KERNEL(step)(&params, &state, x, y, BATCH, workspace);
    for (int run = 0; run < RUNS; ++run) {
        double start = bench_now();
        for (int s = 0; s < STEPS; ++s) loss = KERNEL(step)(&params, &state, x, y, BATCH, workspace);
        per_step[run] = (bench_now() - start) / STEPS * 1e6;
    }
    bench_report(BENCH_STRING(MODEL), per_step, RUNS, loss);
    free(workspace);
    free(y);
    free(x);
    return loss == loss ? 0 : 1; /* a NaN loss fails the run */
}
