/* train_digits_mpi.c: data-parallel training of samples/digits.adj with MPI and the kernels that
   `adjoint compile --precision double` generates. Every rank holds the same params; for each
   global batch, rank r takes its shard of the rows, computes digits_gradient on it, one
   MPI_Allreduce sums the flat gradient structs (each weighted by its share of the batch, so the
   sum is the gradient of the mean loss over the whole global batch), and every rank applies the
   same update with digits_apply. The ranks' params therefore stay identical, and the run follows
   the one-process run with the same global batch up to rounding.

   Usage: mpirun -np P train_digits_mpi TRAIN.csv TEST.csv [EPOCHS] [PARAMS_PREFIX]
   Rank 0 prints the loss per epoch and the test accuracy. With PARAMS_PREFIX each rank writes its
   final params (the raw digits_params struct) to PARAMS_PREFIX-rankR.bin, and every rank prints a
   64-bit FNV-1a hash of them, so that a test can check the ranks ended bit-identical. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"

enum { PIXELS = 64, CLASSES = 10, GLOBAL_BATCH = 32 };

typedef struct {
    int count;
    double *x; /* count x PIXELS, scaled to [0, 1] */
    double *y; /* count x CLASSES, one-hot */
    int *label;
} dataset;

/* Every rank reads the whole (small) file; a larger data set would be read shard by shard. */
static int load(const char *path, dataset *data)
{
    FILE *file = fopen(path, "r");
    if (!file) {
        fprintf(stderr, "cannot read %s\n", path);
        return 0;
    }
    char line[4096];
    int capacity = 256;
    data->count = 0;
    data->x = malloc((size_t)capacity * PIXELS * sizeof(double));
    data->y = malloc((size_t)capacity * CLASSES * sizeof(double));
    data->label = malloc((size_t)capacity * sizeof(int));
    if (!fgets(line, sizeof line, file)) { /* the header */
        fclose(file);
        return 0;
    }
    while (fgets(line, sizeof line, file)) {
        if (data->count == capacity) {
            capacity *= 2;
            data->x = realloc(data->x, (size_t)capacity * PIXELS * sizeof(double));
            data->y = realloc(data->y, (size_t)capacity * CLASSES * sizeof(double));
            data->label = realloc(data->label, (size_t)capacity * sizeof(int));
        }
        char *cursor = line;
        int label = (int)strtol(cursor, &cursor, 10);
        if (label < 0 || label >= CLASSES) continue;
        double *x = data->x + (size_t)data->count * PIXELS;
        for (int i = 0; i < PIXELS; ++i) {
            if (*cursor == ',') ++cursor;
            x[i] = strtod(cursor, &cursor) / 16.0;
        }
        double *y = data->y + (size_t)data->count * CLASSES;
        for (int k = 0; k < CLASSES; ++k) y[k] = k == label ? 1.0 : 0.0;
        data->label[data->count++] = label;
    }
    fclose(file);
    return data->count > 0;
}

/* xorshift64 for the shuffle, seeded the same on every rank: the ranks agree on every batch
   without exchanging a single index. */
static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static double accuracy(const digits_params *p, const dataset *data, void *workspace)
{
    double *logits = malloc((size_t)data->count * CLASSES * sizeof(double));
    digits_predict(p, data->x, data->count, logits, workspace);
    int correct = 0;
    for (int n = 0; n < data->count; ++n) {
        int best = 0;
        for (int k = 1; k < CLASSES; ++k)
            if (logits[n * CLASSES + k] > logits[n * CLASSES + best]) best = k;
        correct += best == data->label[n];
    }
    free(logits);
    return (double)correct / data->count;
}

static uint64_t fnv1a(const void *bytes, size_t count)
{
    const unsigned char *byte = bytes;
    uint64_t hash = 0xcbf29ce484222325u;
    for (size_t i = 0; i < count; ++i) {
        hash ^= byte[i];
        hash *= 0x100000001b3u;
    }
    return hash;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    if (argc < 3) {
        if (rank == 0) fprintf(stderr, "usage: %s TRAIN.csv TEST.csv [EPOCHS] [PARAMS_PREFIX]\n", argv[0]);
        MPI_Finalize();
        return 2;
    }
    dataset train, test;
    if (!load(argv[1], &train) || !load(argv[2], &test)) MPI_Abort(MPI_COMM_WORLD, 2);
    int epochs = argc > 3 ? atoi(argv[3]) : 30;
    const char *prefix = argc > 4 ? argv[4] : NULL;

    /* The same seed on every rank: identical params from the start. */
    static digits_params params;
    static digits_state state;
    static digits_grads grads;
    digits_init(&params, 42);
    digits_state_init(&state);

    int largest = train.count > test.count ? train.count : test.count;
    void *workspace = malloc(digits_workspace_size(largest));
    double *shard_x = malloc((size_t)GLOBAL_BATCH * PIXELS * sizeof(double));
    double *shard_y = malloc((size_t)GLOBAL_BATCH * CLASSES * sizeof(double));
    int *order = malloc((size_t)train.count * sizeof(int));
    for (int n = 0; n < train.count; ++n) order[n] = n;
    uint64_t random = 0x9E3779B97F4A7C15u;
    /* The params struct is one flat array of double (docs/kernels.md), so the gradient is too. */
    const int flat = (int)(sizeof grads / sizeof(double));

    if (rank == 0)
        printf("digits on %d rank%s: %d training and %d test images, global batch %d, %d epochs\n", ranks,
               ranks == 1 ? "" : "s", train.count, test.count, GLOBAL_BATCH, epochs);
    double started = MPI_Wtime();
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        for (int n = train.count - 1; n > 0; --n) {
            int other = (int)(next_random(&random) % (uint64_t)(n + 1));
            int swap = order[n];
            order[n] = order[other];
            order[other] = swap;
        }
        double total = 0;
        int batches = 0;
        for (int start = 0; start < train.count; start += GLOBAL_BATCH) {
            int size = train.count - start < GLOBAL_BATCH ? train.count - start : GLOBAL_BATCH;
            /* This rank's rows of the global batch: an even split, the first ranks taking one
               more row when it does not divide. */
            int first = start + (int)((long)size * rank / ranks);
            int rows = start + (int)((long)size * (rank + 1) / ranks) - first;
            double loss = 0;
            if (rows > 0) {
                for (int b = 0; b < rows; ++b) {
                    memcpy(shard_x + b * PIXELS, train.x + (size_t)order[first + b] * PIXELS, PIXELS * sizeof(double));
                    memcpy(shard_y + b * CLASSES, train.y + (size_t)order[first + b] * CLASSES, CLASSES * sizeof(double));
                }
                /* The kernels average over the rows they get; weighting by rows / size makes the
                   sum over ranks the average over the global batch. */
                double share = (double)rows / size;
                loss = share * digits_gradient(&params, shard_x, shard_y, rows, &grads, workspace);
                double *g = (double *)&grads;
                for (int i = 0; i < flat; ++i) g[i] *= share;
            } else {
                memset(&grads, 0, sizeof grads);
            }
            MPI_Allreduce(MPI_IN_PLACE, &grads, flat, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
            MPI_Allreduce(MPI_IN_PLACE, &loss, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
            digits_apply(&params, &state, &grads);
            total += loss;
            ++batches;
        }
        if (rank == 0)
            printf("epoch %2d  loss %.4f  test accuracy %.2f%%\n", epoch, total / batches,
                   100 * accuracy(&params, &test, workspace));
    }
    double seconds = MPI_Wtime() - started;
    double final = accuracy(&params, &test, workspace);
    if (rank == 0)
        printf("test accuracy %.2f%% (%d images) after %d epochs on %d rank%s, %.2f s\n", 100 * final, test.count,
               epochs, ranks, ranks == 1 ? "" : "s", seconds);
    fflush(stdout);
    MPI_Barrier(MPI_COMM_WORLD);
    printf("rank %d params hash %016llx\n", rank, (unsigned long long)fnv1a(&params, sizeof params));
    if (prefix) {
        char path[4096];
        snprintf(path, sizeof path, "%s-rank%d.bin", prefix, rank);
        FILE *file = fopen(path, "wb");
        if (!file || fwrite(&params, sizeof params, 1, file) != 1) {
            fprintf(stderr, "rank %d: cannot write %s\n", rank, path);
            MPI_Abort(MPI_COMM_WORLD, 2);
        }
        fclose(file);
    }
    free(order);
    free(shard_y);
    free(shard_x);
    free(workspace);
    MPI_Finalize();
    return final >= 0.95 ? 0 : 1;
}
