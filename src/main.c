/* main.c - the `sweep` command: a table of subcommands, each with its usage.
 *
 * `sweep FILE.yaml ...` is short for `sweep run FILE.yaml ...`. Errors come
 * back as sw_err values; main prints the one line and exits with its code
 * (2 for bad input, 1 otherwise). */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "data.h"
#include "train.h"

#define SWEEP_VERSION "0.1.0"

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv, sw_err *err);
    const char *summary;
    const char *usage;
} command;

static const char run_usage[] =
    "usage: sweep run FILE.yaml [KEY=VALUE ...]\n"
    "       sweep FILE.yaml [KEY=VALUE ...]\n"
    "\n"
    "Train the run a config file describes; print a line per epoch and a summary.\n"
    "KEY=VALUE overrides a config key, e.g. train.epochs=3 'model.hidden=[128]'.\n";

static int print_epoch(void *ctx, const train_epoch *e) {
    (void)ctx;
    printf("%5d  %9.5f  %10.4f  %8.2f%%  %8.4f  %7.2f%%  %6.2fs\n", e->epoch, e->lr, e->train_loss,
           100 * e->train_acc, e->val_loss, 100 * e->val_acc, e->seconds);
    fflush(stdout);
    return 0;
}

static int cmd_run(int argc, char **argv, sw_err *err) {
    const char *file = NULL;
    char **over = calloc((size_t)argc + 1, sizeof *over);
    int nover = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(run_usage, stdout);
            free(over);
            return 0;
        }
        if (argv[i][0] == '-') {
            free(over);
            return err_set(err, ERR_INPUT, "sweep run: unknown option '%s'; see sweep run --help",
                           argv[i]);
        }
        if (strchr(argv[i], '=')) over[nover++] = argv[i];
        else if (!file) file = argv[i];
        else {
            free(over);
            return err_set(err, ERR_INPUT, "sweep run: one config file at a time (got '%s' and '%s')",
                           file, argv[i]);
        }
    }
    if (!file) {
        free(over);
        return err_set(err, ERR_INPUT, "sweep run: which config? usage: sweep run FILE.yaml");
    }
    cfg_file cfg;
    int rc = cfg_load(&cfg, file, over, nover, err);
    free(over);
    if (rc) return -1;
    const run_cfg *rcfg = &cfg.base;

    data_set train, test;
    if (data_load_dir(&train, &test, rcfg->data.dir, rcfg->data.classes, err)) {
        cfg_free(&cfg);
        return -1;
    }
    int n = train.n;
    if (rcfg->data.limit > 0 && rcfg->data.limit < n) n = rcfg->data.limit;
    if (rcfg->data.validation >= n) {
        data_free(&train); data_free(&test); cfg_free(&cfg);
        return err_set(err, ERR_INPUT,
                       "%s: data.validation (%d) must be smaller than the %d training examples",
                       file, rcfg->data.validation, n);
    }
    int *tr_idx = malloc(sizeof(int) * (size_t)n), *va_idx = malloc(sizeof(int) * (size_t)n);
    data_split(tr_idx, va_idx, n, rcfg->data.validation, rcfg->data.split_seed);
    train_data d = {&train, tr_idx, n - rcfg->data.validation, va_idx, rcfg->data.validation, &test};

    layer_spec layers[CFG_MAX_LAYERS];
    int nl = cfg_layers(&rcfg->model, train.classes, layers, CFG_MAX_LAYERS);
    char model[256];
    nn_describe(layers, nl, model, sizeof model);
    printf("%s: %d-%s-%d, %d train / %d validation / %d test examples, %d epochs, batch %d, %s, "
           "lr %s %g\n",
           cfg.name, train.dim, model, train.classes, d.n_train, d.n_val, test.n,
           rcfg->train.epochs, rcfg->train.batch_size, optim_name(&rcfg->train.optimizer),
           train_schedule_name(rcfg->train.lr.schedule), rcfg->train.lr.initial);
    printf("epoch         lr  train_loss  train_acc  val_loss  val_acc    time\n");
    train_result res;
    rc = train_run(&res, &rcfg->train, layers, nl, &d, print_epoch, NULL, 0, err);
    if (!rc) {
        if (res.status == TRAIN_DIVERGED)
            printf("diverged in epoch %d (loss became NaN or infinite)\n", res.diverged_epoch);
        if (res.best_epoch > 0)
            printf("best epoch %d: validation %.2f%%, test %.2f%% (loss %.4f), %.1f s\n",
                   res.best_epoch, 100 * res.best_val_acc, 100 * res.test_acc, res.test_loss,
                   res.train_seconds);
    }
    free(tr_idx); free(va_idx);
    data_free(&train); data_free(&test);
    cfg_free(&cfg);
    return rc;
}

static const command commands[] = {
    {"run", cmd_run, "train the runs a config file describes", run_usage},
};
#define NCOMMANDS (int)(sizeof commands / sizeof commands[0])

static void usage(FILE *f) {
    fprintf(f, "usage: sweep COMMAND [ARGS]   (sweep FILE.yaml is sweep run FILE.yaml)\n\n");
    for (int i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nsweep COMMAND --help shows a command's options; sweep --version its version.\n");
}

int main(int argc, char **argv) {
    openblas_set_num_threads(1); /* one core per run: parallelism is across runs */
    sw_err err = {0, ""};
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("sweep %s\n", SWEEP_VERSION);
        return 0;
    }
    const command *cmd = NULL;
    for (int i = 0; i < NCOMMANDS; i++)
        if (!strcmp(argv[1], commands[i].name)) cmd = &commands[i];
    int rc;
    if (cmd) rc = cmd->fn(argc - 1, argv + 1, &err);
    else if (strstr(argv[1], ".yaml") || strstr(argv[1], ".yml")) rc = cmd_run(argc, argv, &err);
    else {
        fprintf(stderr, "sweep: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return 2;
    }
    if (rc) {
        fprintf(stderr, "sweep: %s\n", err.msg);
        return err.code ? err.code : 1;
    }
    return 0;
}
