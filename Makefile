# sweep - build, test, data, benchmarks. Plain make; libraries via pkg-config.
#
#   make            build ./sweep (installs missing Debian packages when root)
#   make demo       build, fetch MNIST, run the learning-rate sweep end to end
#   make test       unit + end-to-end tests on generated data (a few minutes at most)
#   make test-full  also the slow tests on real MNIST (needs `make data`)
#   make data       real MNIST into data/mnist/, SHA-256 verified
#   make plots      charts of every database under experiments/
#   make bench      speed figures (a benchmark, not a test)

CC      ?= gcc
CFLAGS  ?= -O3 -march=native -g
WARN    := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes -D_DEFAULT_SOURCE -D_GNU_SOURCE
PKGS    := yaml-0.1 sqlite3 zlib openblas
DEB_PKGS := libyaml-dev libsqlite3-dev zlib1g-dev check libsubunit-dev libopenblas-dev \
            pkg-config gnuplot-nox sqlite3

# Recursively expanded on purpose: pkg-config runs when a recipe needs the
# flags, i.e. after the deps-check prerequisite had a chance to install them.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS)) -lm
CHECK_LIBS = $(shell pkg-config --libs check)

BUILD   := build
SRCS    := $(filter-out src/main.c,$(wildcard src/*.c))
OBJS    := $(SRCS:src/%.c=$(BUILD)/%.o)
TSRCS   := $(wildcard tests/test_*.c) tests/check_main.c
TOBJS   := $(TSRCS:tests/%.c=$(BUILD)/tests/%.o)

.PHONY: all demo plots deps deps-check test test-unit test-e2e test-full test-slurm bench data data-fashion clean \
        test-asan fuzz fuzz-build

all: sweep

demo: sweep data
	./sweep configs/lr_grid.yaml -j $$(nproc)
	./sweep report experiments/lr_grid.db
	./sweep plot experiments/lr_grid.db

# Charts of every database under experiments/.
plots: sweep
	@set -e; found=0; for db in experiments/*.db; do [ -e "$$db" ] || continue; \
	    found=1; echo "== $$db"; ./sweep plot "$$db"; done; \
	[ $$found = 1 ] || echo "no databases under experiments/: run a sweep first"

deps:
	@scripts/deps.sh install $(DEB_PKGS)

deps-check:
	@scripts/deps.sh check $(DEB_PKGS)

$(BUILD)/%.o: src/%.c | deps-check
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tests/%.o: tests/%.c | deps-check
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(PKG_CFLAGS) -iquote src -MMD -MP -c $< -o $@

sweep: $(OBJS) $(BUILD)/main.o
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

# The same binary under $(BUILD)/, for builds in another directory (test-asan).
$(BUILD)/sweep: $(OBJS) $(BUILD)/main.o
	$(CC) $(CFLAGS) -o $@ $^ $(PKG_LIBS) $(LDFLAGS)

$(BUILD)/check_sweep: $(OBJS) $(TOBJS)
	$(CC) $(CFLAGS) -o $@ $^ $(CHECK_LIBS) $(PKG_LIBS) $(LDFLAGS)

# Unit suites in one Check runner (its last line is the summary), then the
# end-to-end tests that run ./sweep on generated data.
test: test-unit test-e2e

test-unit: $(BUILD)/check_sweep
	CK_DEFAULT_TIMEOUT=120 $(BUILD)/check_sweep

$(BUILD)/gen_data: tests/gen_data.c $(OBJS) | deps-check
	$(CC) $(CFLAGS) $(WARN) $(PKG_CFLAGS) -iquote src -o $@ $^ $(PKG_LIBS)

test-e2e: sweep $(BUILD)/gen_data
	tests/e2e.sh
	tests/e2e_bad.sh
	tests/e2e_sweep.sh
	tests/e2e_shards.sh

test-full: test data
	tests/e2e_mnist.sh

# sweep slurm on a real one-node Slurm cluster (installs slurm-wlm and munge;
# needs root to start the daemons).
test-slurm: sweep data
	tests/e2e_slurm.sh

data:
	@scripts/fetch-data.sh mnist data/mnist

data-fashion:
	@scripts/fetch-data.sh fashion-mnist data/fashion-mnist

$(BUILD)/bench_train: tests/bench/bench_train.c $(OBJS) | deps-check
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(WARN) $(PKG_CFLAGS) -iquote src -o $@ $^ $(PKG_LIBS)

bench: sweep $(BUILD)/bench_train data
	tests/bench/run.sh $(BUILD)

# Unit tests and a few end-to-end runs under AddressSanitizer + UBSan, built
# in build-asan/ (normal objects untouched). Any report fails the target.
ASAN_CC    ?= gcc
ASAN_BUILD := build-asan
SAN_CFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -O1 -g
SAN_ENV    := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 \
              UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
test-asan: | deps-check
	$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) CC=$(ASAN_CC) CFLAGS="$(SAN_CFLAGS)" \
	    $(ASAN_BUILD)/sweep $(ASAN_BUILD)/check_sweep $(ASAN_BUILD)/gen_data
	$(SAN_ENV) CK_FORK=no CK_DEFAULT_TIMEOUT=600 $(ASAN_BUILD)/check_sweep
	$(SAN_ENV) tests/fuzz/asan_e2e.sh $(ASAN_BUILD)
	$(MAKE) --no-print-directory sweep $(BUILD)/gen_data
	$(SAN_ENV) SWEEP=$(ASAN_BUILD)/sweep tests/e2e.sh
	$(SAN_ENV) SWEEP=$(ASAN_BUILD)/sweep tests/e2e_bad.sh
	$(SAN_ENV) SWEEP=$(ASAN_BUILD)/sweep tests/e2e_sweep.sh
	$(SAN_ENV) SWEEP=$(ASAN_BUILD)/sweep tests/e2e_shards.sh

# libFuzzer targets (tests/fuzz/fuzz_*.c) with clang, ASan and UBSan, built in
# build-fuzz/. `make fuzz FUZZ_SECONDS=600` runs each for that long (both at
# once); new inputs go to build-fuzz/corpus/, crashes to tests/fuzz/crashes/.
FUZZ_CC      ?= clang
FUZZ_BUILD   := build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := config idx
FUZZ_CFLAGS  := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -O1 -g
FUZZ_LIBFUZZER = $(shell $(FUZZ_CC) -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null)

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(OBJS) | deps-check
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(WARN) $(PKG_CFLAGS) -iquote src -o $@ $^ $(PKG_LIBS)

fuzz-build: | deps-check
	@command -v $(FUZZ_CC) >/dev/null && [ -f "$(FUZZ_LIBFUZZER)" ] || \
	    scripts/deps.sh install clang libclang-rt-14-dev
	$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=$(FUZZ_CC) CFLAGS="$(FUZZ_CFLAGS)" \
	    $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%) $(FUZZ_BUILD)/gen_data

fuzz: fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf $(BUILD) build-asan build-fuzz sweep

-include $(OBJS:.o=.d) $(TOBJS:.o=.d) $(BUILD)/main.d
