/* test_sweep.c - expanding a sweep section into trials: grid order and
 * count, random draws (reproducible, in range, independent of the trial
 * count), overrides, and the errors of the sweep section. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep.h"
#include "test_util.h"


static const char grid[] =
    "train: {epochs: 5}\n"
    "sweep:\n"
    "  method: grid\n"
    "  parameters:\n"
    "    train.lr.initial: [0.01, 0.1]\n"
    "    model.hidden: [[64], [128, 32], [256]]\n"
    "    train.seed: [1, 2]\n";

START_TEST(test_grid_order) {
    cfg_file c;
    sweep_plan p;
    sw_err err;
    ck_assert_msg(load_config_text(&c, grid, NULL, 0, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(sweep_plan_make(&p, &c, &err), 0);
    ck_assert_int_eq(p.ntrials, 12);
    /* The last parameter changes fastest. */
    ck_assert_uint_eq(p.trials[0].cfg.train.seed, 1);
    ck_assert_uint_eq(p.trials[1].cfg.train.seed, 2);
    ck_assert_int_eq(p.trials[1].cfg.model.hidden[0], 64);
    ck_assert_int_eq(p.trials[2].cfg.model.nhidden, 2);
    ck_assert_int_eq(p.trials[2].cfg.model.hidden[1], 32);
    ck_assert_double_eq(p.trials[5].cfg.train.lr.initial, 0.01);
    ck_assert_double_eq(p.trials[6].cfg.train.lr.initial, 0.1);
    ck_assert_int_eq(p.trials[11].cfg.model.hidden[0], 256);
    for (int k = 0; k < 12; k++) ck_assert_int_eq(p.trials[k].cfg.train.epochs, 5);
    char d[256];
    sweep_describe(&p.trials[3], d, sizeof d);
    ck_assert_str_eq(d, "lr.initial=0.01 hidden=128-32 seed=2");
    sweep_plan_free(&p);
    cfg_free(&c);
}
END_TEST

START_TEST(test_overrides_reach_trials) {
    cfg_file c;
    sweep_plan p;
    sw_err err;
    char *over[] = {"train.epochs=2", "sweep.parameters.train.seed=[7]"};
    ck_assert_msg(load_config_text(&c, grid, over, 2, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(sweep_plan_make(&p, &c, &err), 0);
    ck_assert_int_eq(p.ntrials, 6);
    for (int k = 0; k < 6; k++) {
        ck_assert_int_eq(p.trials[k].cfg.train.epochs, 2);
        ck_assert_uint_eq(p.trials[k].cfg.train.seed, 7);
    }
    sweep_plan_free(&p);
    cfg_free(&c);
}
END_TEST

START_TEST(test_single_run) {
    cfg_file c;
    sweep_plan p;
    sw_err err;
    ck_assert_int_eq(load_config_text(&c, "train: {epochs: 3}\n", NULL, 0, &err), 0);
    ck_assert_int_eq(sweep_plan_make(&p, &c, &err), 0);
    ck_assert_int_eq(p.ntrials, 1);
    ck_assert_int_eq(p.trials[0].swept->n, 0);
    ck_assert_int_eq(p.trials[0].cfg.train.epochs, 3);
    sweep_plan_free(&p);
    cfg_free(&c);
}
END_TEST

static const char random_text[] =
    "sweep:\n"
    "  method: random\n"
    "  trials: 50\n"
    "  seed: 3\n"
    "  parameters:\n"
    "    train.lr.initial: {min: 0.001, max: 1, distribution: log_uniform}\n"
    "    train.optimizer.momentum: {min: 0, max: 0.9}\n"
    "    train.batch_size: {min: 16, max: 20, distribution: int}\n"
    "    train.lr.schedule: {values: [step, cosine]}\n";

START_TEST(test_random) {
    cfg_file c;
    sweep_plan a, b;
    sw_err err;
    ck_assert_msg(load_config_text(&c, random_text, NULL, 0, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(sweep_plan_make(&a, &c, &err), 0);
    ck_assert_int_eq(sweep_plan_make(&b, &c, &err), 0);
    ck_assert_int_eq(a.ntrials, 50);
    int below = 0, bs[21] = {0}, cosine = 0;
    for (int k = 0; k < 50; k++) {
        const train_cfg *t = &a.trials[k].cfg.train;
        ck_assert(t->lr.initial >= 0.001 && t->lr.initial <= 1);
        ck_assert(t->optimizer.momentum >= 0 && t->optimizer.momentum <= 0.9);
        ck_assert(t->batch_size >= 16 && t->batch_size <= 20);
        below += t->lr.initial < 0.0316;  /* log-uniform: half below sqrt(0.001) */
        bs[t->batch_size]++;
        cosine += t->lr.schedule == LR_COSINE;
        /* Reproducible. */
        ck_assert(t->lr.initial == b.trials[k].cfg.train.lr.initial);
        ck_assert(t->batch_size == b.trials[k].cfg.train.batch_size);
    }
    ck_assert(below > 12 && below < 38);
    for (int v = 16; v <= 20; v++) ck_assert_int_gt(bs[v], 0);
    ck_assert(cosine > 10 && cosine < 40);
    sweep_plan_free(&b);
    /* Trial k does not depend on how many trials there are. */
    cfg_file c2;
    char *over[] = {"sweep.trials=5"};
    ck_assert_int_eq(load_config_text(&c2, random_text, over, 1, &err), 0);
    ck_assert_int_eq(sweep_plan_make(&b, &c2, &err), 0);
    ck_assert_int_eq(b.ntrials, 5);
    for (int k = 0; k < 5; k++)
        ck_assert(a.trials[k].cfg.train.lr.initial == b.trials[k].cfg.train.lr.initial);
    /* Another seed, other draws. */
    sweep_plan_free(&b);
    cfg_free(&c2);
    char *over2[] = {"sweep.seed=4"};
    ck_assert_int_eq(load_config_text(&c2, random_text, over2, 1, &err), 0);
    ck_assert_int_eq(sweep_plan_make(&b, &c2, &err), 0);
    ck_assert(a.trials[0].cfg.train.lr.initial != b.trials[0].cfg.train.lr.initial);
    sweep_plan_free(&a);
    sweep_plan_free(&b);
    cfg_free(&c);
    cfg_free(&c2);
}
END_TEST

/* Broken sweep sections and the words of their messages. */
static const struct { const char *text, *want; } broken[] = {
    {"sweep: 5\n", ":1:8: sweep must be a mapping with method and parameters"},
    {"sweep: {method: grid}\n", ":1:8: sweep.parameters is missing or empty"},
    {"sweep: {method: bayes, parameters: {train.seed: [1]}}\n", ":1:17: sweep.method must be one of grid, random"},
    {"sweep: {mehtod: grid, parameters: {train.seed: [1]}}\n", ":1:9: unknown key 'sweep.mehtod'; did you mean 'method'?"},
    {"sweep: {parameters: {train.seed: []}}\n", ":1:34: sweep.parameters.train.seed is an empty list"},
    {"sweep: {parameters: {train.sed: [1]}}\n", ":1:22: unknown key 'train.sed'; did you mean 'seed'?"},
    {"sweep: {parameters: {trainn.seed: [1]}}\n", ":1:22: unknown key 'trainn'; did you mean 'train'?"},
    {"sweep: {parameters: {train.lr: [1]}}\n", ":1:33: train.lr must be a mapping of keys, got a number (1)"},
    {"sweep: {parameters: {name: [a, b]}}\n", ":1:22: 'name' cannot be swept"},
    {"sweep: {parameters: {train.seed.x: [1]}}\n", ":1:22: 'train.seed' has no key 'x'"},
    {"sweep: {parameters: {train.seed: 3}}\n", ":1:34: sweep.parameters.train.seed must be a list of values"},
    {"sweep: {parameters: {train.epochs: [1, 0]}}\n", ":1:40: train.epochs must be an integer from 1"},
    {"sweep: {parameters: {model.hidden: [[64], 64]}}\n", ":1:43: model.hidden must be a list of layer sizes"},
    {"sweep: {parameters: {train.lr.initial: {min: 0.1, max: 1}}}\n", ":1:40: sweep.parameters.train.lr.initial: method grid needs a list of values"},
    {"sweep: {method: random, parameters: {train.lr.initial: [0.1]}}\n", ":1:8: sweep.trials is required with method random"},
    {"sweep: {method: grid, trials: 3, parameters: {train.seed: [1]}}\n", ":1:31: sweep.trials is for methods random and tpe"},
    {"sweep: {method: random, trials: 0, parameters: {train.seed: [1]}}\n", ":1:33: sweep.trials must be an integer from 1"},
    {"sweep: {method: random, trials: 2, parameters: {train.l2: {min: 1, max: 0.1}}}\n", ":1:65: sweep.parameters.train.l2: min (1) must be below max (0.1)"},
    {"sweep: {method: random, trials: 2, parameters: {train.l2: {min: 0, max: 0.1, distribution: log_uniform}}}\n", "log_uniform needs min > 0"},
    {"sweep: {method: random, trials: 2, parameters: {train.epochs: {min: 1.5, max: 3, distribution: int}}}\n", "distribution int needs integer min and max"},
    {"sweep: {method: random, trials: 2, parameters: {train.l2: {min: 0, max: 99}}}\n", ":1:73: train.l2 must be a number >= 0 and <= 10"},
    {"sweep: {method: random, trials: 2, parameters: {train.l2: {min: 0}}}\n", "needs both min and max"},
    {"sweep: {method: random, trials: 2, parameters: {train.l2: {min: 0, max: 1, values: [1]}}}\n", "give either values or min/max"},
    {"sweep: {method: random, trials: 2, parameters: {train.l2: {min: 0, max: 1, distribution: normal}}}\n", "distribution must be one of uniform, log_uniform, int"},
    {"sweep: {method: random, trials: 2, parameters: {train.l2: {mean: 0}}}\n", "unknown key 'sweep.parameters.train.l2.mean'"},
};

START_TEST(test_broken_sweep) {
    cfg_file c;
    sw_err err;
    err.msg[0] = '\0';
    ck_assert_msg(load_config_text(&c, broken[_i].text, NULL, 0, &err) == -1, "accepted: %s", broken[_i].text);
    ck_assert_int_eq(err.code, ERR_INPUT);
    ck_assert_msg(strstr(err.msg, broken[_i].want) != NULL, "config:\n%s\nwant: %s\ngot:  %s",
                  broken[_i].text, broken[_i].want, err.msg);
}
END_TEST

/* Values valid alone can clash in a trial: the error names the trial. */
START_TEST(test_combination_error) {
    cfg_file c;
    sweep_plan p;
    sw_err err;
    const char *text = "train: {epochs: 3}\n"
                       "sweep: {parameters: {train.lr.warmup: [0, 5]}}\n";
    ck_assert_int_eq(load_config_text(&c, text, NULL, 0, &err), -1);
    ck_assert_msg(strstr(err.msg, "train.lr.warmup (5) must be less than train.epochs (3)"), "%s",
                  err.msg);
    (void)p;
}
END_TEST

/* Shards: every trial in exactly one shard, numbers kept and ascending,
 * costs balanced as the documented rule says (checked by hand for one case),
 * and a TPE shard numbered K, K+N, ... */
START_TEST(test_shards) {
    cfg_file c;
    sweep_plan p;
    sw_err err;
    ck_assert_msg(load_config_text(&c, grid, NULL, 0, &err) == 0, "%s", err.msg);
    double cost[12];
    for (int k = 0; k < 12; k++) cost[k] = 1 + (k * 7919) % 13;  /* 1..13, uneven */
    for (int n = 1; n <= 5; n++) {
        int owner[12], kept[12];
        double load[5] = {0};
        for (int k = 0; k < 12; k++) owner[k] = -1;
        for (int K = 0; K < n; K++) {
            ck_assert_int_eq(sweep_plan_make(&p, &c, &err), 0);
            ck_assert_int_eq(sweep_plan_shard(&p, cost, K, n, kept, &err), 0);
            for (int j = 0; j < p.ntrials; j++) {
                int t = p.trials[j].index;
                ck_assert_int_eq(kept[j], t);
                ck_assert_int_eq(owner[t], -1);
                owner[t] = K;
                load[K] += cost[t];
                ck_assert_int_eq(sweep_plan_local(&p, t), j);
                if (j) ck_assert_int_gt(t, p.trials[j - 1].index);
                /* The trial's settings moved with it. */
                ck_assert_double_eq(p.trials[j].cfg.train.lr.initial, t < 6 ? 0.01 : 0.1);
            }
            ck_assert_int_eq(sweep_plan_local(&p, 99), -1);
            sweep_plan_free(&p);
        }
        for (int k = 0; k < 12; k++) ck_assert_int_ge(owner[k], 0);
        /* Longest first onto the least loaded: no shard exceeds another by
         * more than the largest cost. */
        for (int a = 0; a < n; a++)
            for (int b = 0; b < n; b++) ck_assert(load[a] - load[b] <= 13);
    }
    /* Costs 13, 13, 12, 1, ...: by hand for 2 shards. */
    double c2[12] = {13, 1, 13, 1, 12, 1, 1, 1, 1, 1, 1, 1};
    ck_assert_int_eq(sweep_plan_make(&p, &c, &err), 0);
    ck_assert_int_eq(sweep_plan_shard(&p, c2, 1, 2, NULL, &err), 0);
    /* Trial 0 -> shard 0, 2 -> shard 1, 4 (a tie at 13) -> shard 0 (25); every
     * trial of cost 1 then goes to shard 1, which ends at 22. */
    ck_assert_int_eq(p.ntrials, 10);
    ck_assert_int_eq(p.trials[0].index, 1);
    ck_assert_int_eq(p.trials[1].index, 2);
    sweep_plan_free(&p);
    cfg_free(&c);

    static const char tpe[] = "sweep: {method: tpe, trials: 10, parameters: "
                              "{train.lr.initial: {min: 0.01, max: 1}}}\n";
    ck_assert_msg(load_config_text(&c, tpe, NULL, 0, &err) == 0, "%s", err.msg);
    ck_assert_int_eq(sweep_plan_make(&p, &c, &err), 0);
    ck_assert_int_eq(sweep_plan_shard(&p, NULL, 1, 3, NULL, &err), 0);
    ck_assert_int_eq(p.ntrials, 3);
    ck_assert_int_eq(p.trials[0].index, 1);
    ck_assert_int_eq(p.trials[1].index, 4);
    ck_assert_int_eq(p.trials[2].index, 7);
    ck_assert_ptr_null(p.trials[0].swept);
    sweep_plan_free(&p);
    ck_assert_int_eq(sweep_plan_make(&p, &c, &err), 0);
    ck_assert_int_eq(sweep_plan_shard(&p, NULL, 3, 3, NULL, &err), -1);
    sweep_plan_free(&p);
    cfg_free(&c);
}
END_TEST

Suite *sweep_suite(void) {
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_grid_order);
    tcase_add_test(tc, test_overrides_reach_trials);
    tcase_add_test(tc, test_single_run);
    tcase_add_test(tc, test_random);
    tcase_add_loop_test(tc, test_broken_sweep, 0, (int)(sizeof broken / sizeof broken[0]));
    tcase_add_test(tc, test_combination_error);
    tcase_add_test(tc, test_shards);
    suite_add_tcase(s, tc);
    return s;
}
