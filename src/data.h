/* data.h - IDX files (the MNIST format) and the data a run trains on.
 *
 * Owns: reading IDX files, raw or gzip'd, with every header field checked
 * against the file; image/label sets kept as uint8; the seeded train/validation
 * split; turning a batch of indices into floats. Does not own downloading
 * (scripts/fetch-data.sh) or anything about the model. */
#ifndef SWEEP_DATA_H
#define SWEEP_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* One IDX file of unsigned bytes (type 0x08): dims[0] is the item count. */
typedef struct data_idx {
    int ndim;        /* 1..4 */
    int dims[4];
    uint8_t *bytes;  /* prod(dims) bytes, row-major */
    size_t size;     /* prod(dims) */
} data_idx;

/* Read an IDX file; gzip is detected by its magic bytes, not the name. Errors
 * name the file, what is wrong and the byte offset (of the decompressed
 * stream for gzip'd files). */
int data_idx_read(data_idx *out, const char *path, sw_err *err);
/* Write an IDX file (gzip'd when gzip != 0): used by tests and tools. */
int data_idx_write(const char *path, const data_idx *idx, int gzip, sw_err *err);
void data_idx_free(data_idx *idx);

/* Images with their labels. Image i is images[i*dim .. (i+1)*dim). */
typedef struct data_set {
    uint8_t *images;  /* (n, c*h*w) uint8, pixel values 0..255 */
    uint8_t *labels;  /* (n) each < classes */
    int n;            /* number of examples */
    int c, h, w;      /* channels, rows, cols: IDX (n,h,w) gives c=1; (n,h,w,c) is kept channels last */
    int dim;          /* c*h*w */
    int classes;      /* labels are 0..classes-1 */
} data_set;

/* Load an image file and a label file as one set. classes > 0 rejects any
 * label >= classes; classes == 0 takes max(label)+1. Checks ndim (images 3 or
 * 4, labels 1) and that the counts match. */
int data_load(data_set *ds, const char *images_path, const char *labels_path, int classes,
              sw_err *err);
/* Load the four standard files from dir, each as NAME or NAME.gz:
 * train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
 * t10k-labels-idx1-ubyte. The test set must have the train set's image shape;
 * with classes == 0 both get the train set's class count. */
int data_load_dir(data_set *train, data_set *test, const char *dir, int classes, sw_err *err);
void data_free(data_set *ds);

/* Seeded split of n examples: val_idx gets n_val indices, train_idx the other
 * n - n_val, each list in increasing order. Same (n, n_val, seed), same split. */
void data_split(int *train_idx, int *val_idx, int n, int n_val, uint64_t seed);

/* x is (B, dim) floats in [0, 1] (pixel * (1/255.f)), y is (B) labels; row b is
 * example idx[b] of ds. */
void data_batch(float *x, int *y, const data_set *ds, const int *idx, int B);

#endif
