/* test_config.c - config keys, defaults, ranges and overrides; every broken
 * config gets its own message with file:line:col. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "test_util.h"


START_TEST(test_defaults_and_values) {
    cfg_file c;
    sw_err err;
    const char *text =
        "name: demo\n"
        "data: {dataset: mnist, validation: 5000}\n"
        "model: {hidden: [512, 256], dropout: 0.2}\n"
        "train:\n"
        "  epochs: 7\n"
        "  batch_size: 64\n"
        "  optimizer: {type: sgd, momentum: 0.9, nesterov: true}\n"
        "  lr: {schedule: step, initial: 0.1, factor: 0.5, every: 2, warmup: 1}\n"
        "  l2: 1.0e-4\n"
        "  seed: 3\n";
    ck_assert_msg(load_config_text(&c, text, NULL, 0, &err) == 0, "%s", err.msg);
    const run_cfg *r = &c.base;
    ck_assert_str_eq(c.name, "demo");
    ck_assert_str_eq(r->data.dir, "data/mnist");
    ck_assert_int_eq(r->data.validation, 5000);
    ck_assert_int_eq(r->data.classes, 0); /* from the labels */
    ck_assert_int_eq(r->model.nhidden, 2);
    ck_assert_int_eq(r->model.hidden[0], 512);
    ck_assert_int_eq(r->model.hidden[1], 256);
    ck_assert_double_eq(r->model.dropout, 0.2);
    ck_assert_int_eq(r->train.epochs, 7);
    ck_assert_int_eq(r->train.batch_size, 64);
    ck_assert_int_eq(r->train.optimizer.type, OPT_SGD);
    ck_assert_int_eq(r->train.optimizer.nesterov, 1);
    ck_assert_int_eq(r->train.lr.schedule, LR_STEP);
    ck_assert_int_eq(r->train.lr.every, 2);
    ck_assert_double_eq(r->train.l2, 1e-4);
    ck_assert_uint_eq(r->train.seed, 3);
    layer_spec L[CFG_MAX_LAYERS];
    int n = cfg_layers(&r->model, 10, L, CFG_MAX_LAYERS);
    ck_assert_int_eq(n, 7); /* dense relu dropout dense relu dropout dense */
    ck_assert_int_eq(L[2].type, LAYER_DROPOUT);
    ck_assert_int_eq(L[6].units, 10);
    cfg_free(&c);
}
END_TEST

/* The general form: a list of layers, each type with its keys and defaults;
 * the resolved tree holds the full structure; the short form's batch norm. */
START_TEST(test_model_layers) {
    cfg_file c;
    sw_err err;
    const char *text =
        "model:\n"
        "  layers:\n"
        "    - {type: conv, filters: 32, kernel: 5}\n"
        "    - {type: relu}\n"
        "    - {type: maxpool}\n"
        "    - {type: conv, filters: 64, kernel: 3, padding: valid}\n"
        "    - {type: batchnorm, momentum: 0.2}\n"
        "    - {type: relu}\n"
        "    - {type: dense, units: 128}\n"
        "    - {type: dropout, rate: 0.5}\n"
        "    - {type: dense, units: 10}\n"
        "sweep:\n"
        "  method: random\n"
        "  trials: 4\n"
        "  parameters:\n"
        "    model.layers.0.filters: [16, 32]\n"
        "    model.layers.7.rate: {min: 0.1, max: 0.6}\n";
    ck_assert_msg(load_config_text(&c, text, NULL, 0, &err) == 0, "%s", err.msg);
    const model_cfg *m = &c.base.model;
    ck_assert_int_eq(m->nlayers, 9);
    ck_assert_int_eq(m->layers[0].type, LAYER_CONV);
    ck_assert_int_eq(m->layers[0].filters, 32);
    ck_assert_int_eq(m->layers[0].same, 1);  /* default padding: same */
    ck_assert_int_eq(m->layers[2].size, 2);  /* default pool size */
    ck_assert_int_eq(m->layers[3].same, 0);
    ck_assert_double_eq(m->layers[4].momentum, 0.2);
    ck_assert_double_eq(m->layers[4].eps, 1e-5);
    ck_assert_double_eq(m->layers[7].rate, 0.5);
    layer_spec L[CFG_MAX_LAYERS];
    int n = cfg_layers(m, 10, L, CFG_MAX_LAYERS);
    ck_assert_int_eq(n, 9);
    char text_buf[256], hidden[64];
    nn_describe(L, n, text_buf, sizeof text_buf);
    ck_assert_str_eq(text_buf, "conv32k5-pool2-conv64k3v-bn-128-do0.5");
    cfg_hidden_text(L, n, hidden, sizeof hidden);
    ck_assert_str_eq(hidden, "128");
    /* The resolved tree keeps the list, and only the list. */
    node *full = cfg_to_node(&c.base, 0);
    ck_assert_ptr_nonnull(node_at(full, "model.layers.3.padding"));
    ck_assert_str_eq(node_at(full, "model.layers.3.padding")->str, "valid");
    ck_assert_str_eq(node_at(full, "model.layers.4.type")->str, "batchnorm");
    ck_assert_ptr_null(node_at(full, "model.hidden"));
    run_cfg back;
    ck_assert_int_eq(cfg_resolve(&back, full, "x", &err), 0);
    ck_assert_int_eq(back.model.nlayers, 9);
    ck_assert_int_eq(memcmp(back.model.layers, m->layers, sizeof(layer_spec) * 9), 0);
    node_free(full);
    ck_assert_int_eq(c.sweep.nparams, 2);
    cfg_free(&c);

    ck_assert_int_eq(load_config_text(&c, "model: {hidden: [64, 32], batch_norm: true, dropout: 0.1}\n",
                                      NULL, 0, &err), 0);
    n = cfg_layers(&c.base.model, 10, L, CFG_MAX_LAYERS);
    nn_describe(L, n, text_buf, sizeof text_buf);
    ck_assert_str_eq(text_buf, "64-bn-do0.1-32-bn-do0.1");
    ck_assert_int_eq(L[1].type, LAYER_BATCHNORM); /* before the ReLU */
    ck_assert_int_eq(L[2].type, LAYER_RELU);
    cfg_free(&c);
}
END_TEST

START_TEST(test_empty_file_gets_defaults) {
    cfg_file c;
    sw_err err;
    ck_assert_int_eq(load_config_text(&c, "# nothing but a comment\n", NULL, 0, &err), 0);
    ck_assert_int_eq(c.base.model.hidden[0], 256);
    ck_assert_int_eq(c.base.train.batch_size, 128);
    ck_assert_ptr_eq(strstr(c.name, "sweep-cfg-"), c.name); /* name from the file */
    cfg_free(&c);
}
END_TEST

START_TEST(test_overrides) {
    cfg_file c;
    sw_err err;
    char *over[] = {"train.epochs=3", "model.hidden=[128]", "train.lr.schedule=cosine"};
    ck_assert_msg(load_config_text(&c, "train: {epochs: 20}\n", over, 3, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(c.base.train.epochs, 3);
    ck_assert_int_eq(c.base.model.nhidden, 1);
    ck_assert_int_eq(c.base.model.hidden[0], 128);
    ck_assert_int_eq(c.base.train.lr.schedule, LR_COSINE);
    cfg_free(&c);
    char *bad[] = {"train.epoch=3"};
    ck_assert_int_eq(load_config_text(&c, "train: {epochs: 20}\n", bad, 1, &err), -1);
    ck_assert_msg(strstr(err.msg, "unknown key 'train.epoch'; did you mean 'epochs'?"), "%s",
                  err.msg);
}
END_TEST

/* Each broken config and the words its message must hold (after the path). */
static const struct { const char *text, *want; } broken[] = {
    {"trian: {epochs: 3}\n", ":1:1: unknown key 'trian'; did you mean 'train'?"},
    {"train: {epochs: 3, batchsize: 8}\n", ":1:20: unknown key 'train.batchsize'; did you mean 'batch_size'?"},
    {"train:\n  zzz: 1\n", ":2:3: unknown key 'train.zzz'; known keys of train: epochs"},
    {"train: {epochs: 0}\n", ":1:17: train.epochs must be an integer from 1 to 1000000, got a number (0)"},
    {"train: {epochs: 2.5}\n", ":1:17: train.epochs must be an integer"},
    {"train: {epochs: ten}\n", ":1:17: train.epochs must be an integer from 1 to 1000000, got the string 'ten'"},
    {"train: {batch_size: 0}\n", ":1:21: train.batch_size must be an integer from 1"},
    {"train: {lr: {initial: 0}}\n", ":1:23: train.lr.initial must be a number > 0 and <= 100"},
    {"train: {lr: {initial: -0.1}}\n", ":1:23: train.lr.initial must be a number > 0"},
    {"train: {lr: {schedule: linear}}\n", ":1:24: train.lr.schedule must be one of constant, step, exponential or cosine, got the string 'linear'"},
    {"train: {l2: -1.0e-4}\n", ":1:13: train.l2 must be a number >= 0 and <= 10"},
    {"train: {optimizer: {type: rmsprop}}\n", ":1:27: train.optimizer.type must be one of sgd, adam or adamw"},
    {"train: {optimizer: {momentum: 1.0}}\n", ":1:31: train.optimizer.momentum must be a number >= 0 and < 1"},
    {"train: {optimizer: {nesterov: yes}}\n", ":1:31: train.optimizer.nesterov must be true or false"},
    {"train: {optimizer: {nesterov: true}}\n", ":1:31: train.optimizer.nesterov needs a momentum above 0"},
    {"train: {epochs: 3, lr: {warmup: 3}}\n", ":1:33: train.lr.warmup (3) must be less than train.epochs (3)"},
    {"train: {seed: -1}\n", ":1:15: train.seed must be an integer from 0 to 9223372036854775807"},
    {"train: 5\n", ":1:8: train must be a mapping of keys"},
    {"train: [1, 2]\n", ":1:8: train must be a mapping of keys"},
    {"model: {hidden: 256}\n", ":1:17: model.hidden must be a list of layer sizes"},
    {"model: {hidden: [256, 0]}\n", ":1:23: model.hidden[1] must be a layer size from 1 to 65536"},
    {"model: {hidden: [256, [3]]}\n", ":1:23: model.hidden[1] must be a layer size"},
    {"model: {dropout: 1.0}\n", ":1:18: model.dropout must be a number >= 0 and < 1"},
    {"data: {dataset: cifar}\n", ":1:17: data.dataset must be one of mnist, fashion-mnist or idx"},
    {"data: {dataset: idx}\n", ":1:17: data.dir is required with dataset 'idx'"},
    {"data: {validation: -5}\n", ":1:20: data.validation must be an integer from 0"},
    {"data: {classes: 1000}\n", ":1:17: data.classes must be an integer from 0 to 256"},
    {"name: ''\n", ":1:7: name must be a non-empty string"},
    {"- 1\n- 2\n", ":1:1: the config must be a mapping with keys"},
    {"train: {lr: {initial: .nan}}\n", ":1:23: train.lr.initial must be a number"},
    {"train: {l2: 1e999}\n", ":1:13: train.l2 must be a number"},
    {"train: {epochs: 99999999999999999999}\n", ":1:17: train.epochs must be an integer"},
    {"train: {epochs: \"3\"}\n", ":1:17: train.epochs must be an integer from 1 to 1000000, got the string '3'"},
};

START_TEST(test_broken) {
    cfg_file c;
    sw_err err;
    const char *text = broken[_i].text, *want = broken[_i].want;
    err.msg[0] = '\0';
    ck_assert_msg(load_config_text(&c, text, NULL, 0, &err) == -1, "accepted: %s", text);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_msg(!strncmp(err.msg, "/tmp/sweep-cfg-", 15), "no file name: %s", err.msg);
    ck_assert_msg(strstr(err.msg, want) != NULL, "config:\n%s\nwant: %s\ngot:  %s", text, want,
                  err.msg);
    ck_assert_ptr_null(strchr(err.msg, '\n'));
}
END_TEST

Suite *config_suite(void) {
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_defaults_and_values);
    tcase_add_test(tc, test_model_layers);
    tcase_add_test(tc, test_empty_file_gets_defaults);
    tcase_add_test(tc, test_overrides);
    tcase_add_loop_test(tc, test_broken, 0, (int)(sizeof broken / sizeof broken[0]));
    suite_add_tcase(s, tc);
    return s;
}
