/* train_digits.c: trains samples/digits.adj (a 64-32-10 perceptron, Adam) on the UCI digits
   with the kernels `adjoint compile` generated, in mini-batches, and reports the loss per epoch
   and the accuracy on the test set. Usage: train_digits TRAIN.csv TEST.csv [EPOCHS]
   Each CSV line is a label 0-9 then 64 pixels 0-16 (after a header line). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"

enum { PIXELS = 64, CLASSES = 10, BATCH = 32 };

typedef struct {
    int count;
    float *x; /* count x PIXELS, scaled to [0, 1] */
    float *y; /* count x CLASSES, one-hot */
    int *label;
} dataset;

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
    data->x = malloc((size_t)capacity * PIXELS * sizeof(float));
    data->y = malloc((size_t)capacity * CLASSES * sizeof(float));
    data->label = malloc((size_t)capacity * sizeof(int));
    if (!fgets(line, sizeof line, file)) { /* the header */
        fclose(file);
        return 0;
    }
    while (fgets(line, sizeof line, file)) {
        if (data->count == capacity) {
            capacity *= 2;
            data->x = realloc(data->x, (size_t)capacity * PIXELS * sizeof(float));
            data->y = realloc(data->y, (size_t)capacity * CLASSES * sizeof(float));
            data->label = realloc(data->label, (size_t)capacity * sizeof(int));
        }
        char *cursor = line;
        int label = (int)strtol(cursor, &cursor, 10);
        if (label < 0 || label >= CLASSES) continue;
        float *x = data->x + (size_t)data->count * PIXELS;
        for (int i = 0; i < PIXELS; ++i) {
            if (*cursor == ',') ++cursor;
            x[i] = (float)strtod(cursor, &cursor) / 16.0f;
        }
        float *y = data->y + (size_t)data->count * CLASSES;
        for (int k = 0; k < CLASSES; ++k) y[k] = k == label ? 1.0f : 0.0f;
        data->label[data->count++] = label;
    }
    fclose(file);
    return data->count > 0;
}

/* xorshift64 for the shuffle: the program's own generator, so runs repeat exactly. */
static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static double accuracy(const digits_params *p, const dataset *data, void *workspace)
{
    float *logits = malloc((size_t)data->count * CLASSES * sizeof(float));
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

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s TRAIN.csv TEST.csv [EPOCHS]\n", argv[0]);
        return 2;
    }
    dataset train, test;
    if (!load(argv[1], &train) || !load(argv[2], &test)) return 2;
    int epochs = argc > 3 ? atoi(argv[3]) : 30;

    static digits_params params;
    static digits_state state;
    digits_init(&params, 42);
    digits_state_init(&state);

    /* One workspace for every kernel: the largest batch any call uses. */
    int largest = train.count > test.count ? train.count : test.count;
    void *workspace = malloc(digits_workspace_size(largest));
    float *batch_x = malloc((size_t)BATCH * PIXELS * sizeof(float));
    float *batch_y = malloc((size_t)BATCH * CLASSES * sizeof(float));
    int *order = malloc((size_t)train.count * sizeof(int));
    for (int n = 0; n < train.count; ++n) order[n] = n;
    uint64_t random = 0x9E3779B97F4A7C15u;

    printf("digits: %d training and %d test images, batches of %d, %d epochs\n", train.count, test.count, BATCH, epochs);
    for (int epoch = 1; epoch <= epochs; ++epoch) {
        for (int n = train.count - 1; n > 0; --n) {
            int other = (int)(next_random(&random) % (uint64_t)(n + 1));
            int swap = order[n];
            order[n] = order[other];
            order[other] = swap;
        }
        double total = 0;
        int batches = 0;
        for (int start = 0; start < train.count; start += BATCH) {
            int size = train.count - start < BATCH ? train.count - start : BATCH;
            for (int b = 0; b < size; ++b) {
                memcpy(batch_x + b * PIXELS, train.x + (size_t)order[start + b] * PIXELS, PIXELS * sizeof(float));
                memcpy(batch_y + b * CLASSES, train.y + (size_t)order[start + b] * CLASSES, CLASSES * sizeof(float));
            }
            total += digits_step(&params, &state, batch_x, batch_y, size, workspace);
            ++batches;
        }
        printf("epoch %2d  loss %.4f  test accuracy %.2f%%\n", epoch, total / batches,
               100 * accuracy(&params, &test, workspace));
    }
    double final = accuracy(&params, &test, workspace);
    printf("test accuracy %.2f%% (%d images)\n", 100 * final, test.count);
    free(order);
    free(batch_y);
    free(batch_x);
    free(workspace);
    return final >= 0.95 ? 0 : 1;
}
