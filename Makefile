# Entry points. `make test` and `make run` work from a fresh clone on a fresh Debian
# machine: they install what is missing (scripts/install-deps.sh) and build first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
WERROR ?= $(if $(CI),ON,OFF)
CMAKE_FLAGS ?=

.PHONY: all deps configure build web test run demo format format-check bench clean \
  test-sanitize test-asan test-tsan fuzz fuzz-build fuzz-ci

all: build

deps:
	@bash scripts/install-deps.sh

$(BUILD_DIR)/build.ninja: CMakeLists.txt | deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DNEXUS_WERROR=$(WERROR) $(CMAKE_FLAGS)

configure: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DNEXUS_WERROR=$(WERROR) $(CMAKE_FLAGS)

build: configure web
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The web UI (web/ → web/dist, served by `nexus serve --static-dir web/dist`). A stamp file
# keeps `make build` fast: npm runs only when a source, the lock file or the OpenAPI document
# (web/src/api/schema.d.ts is generated from it) changed; npm ci only when the lock file changed.
WEB_SOURCES := $(shell find web/src -type f 2>/dev/null) web/index.html web/vite.config.ts \
  scripts/compress-web.sh \
  web/tsconfig.json web/package.json web/package-lock.json src/api/openapi.json
web: web/dist/.stamp

web/dist/.stamp: $(WEB_SOURCES) | deps
	cd web && (test node_modules/.package-lock.json -nt package-lock.json || npm ci --no-audit --no-fund) && npm run build
	bash scripts/compress-web.sh web/dist
	@touch $@

test: build format-check
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

run: build
	./$(BUILD_DIR)/nexus demo

demo: run

format:
	@bash scripts/format.sh fix

format-check: deps
	@bash scripts/format.sh check

bench: build
	@bash bench/run_all.sh

# Sanitizers and fuzzing (docs/testing.md; issue 13). Each has its own clang build dir:
#   build-asan: everything with ASan+UBSan (UBSan aborts) and libFuzzer coverage, so the
#               fuzz targets reuse the sanitized libraries; no benchmarks.
#   build-tsan: only the suites of the threaded code (export executor, job runner, rate budget).
# Tests that drive external programs (labels e2e and node: Chromium, Node.js) are not rerun
# under the sanitizers; they check the UI and the wire contract, which `make test` covers.
empty :=
space := $(empty) $(empty)
SAN_CC ?= clang
SAN_CXX ?= clang++
ASAN_DIR ?= build-asan
TSAN_DIR ?= build-tsan
# The job runner, the rate budget (in the client suite) and the export executor's parallel
# batches (export_batching_test, export_rules_test, export_test).
TSAN_TESTS ?= jobs_test testrail_client_test export_batching_test export_rules_test export_test
SAN_CMAKE = cmake -S . -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=$(SAN_CC) -DCMAKE_CXX_COMPILER=$(SAN_CXX) \
  -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DNEXUS_WERROR=$(WERROR) -DNEXUS_BUILD_BENCH=OFF
# halt_on_error: the first report fails the test; detect_leaks: LeakSanitizer is part of ASan.
export ASAN_OPTIONS ?= halt_on_error=1:detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS ?= halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/tests/sanitizers/tsan.supp

test-sanitize: test-asan test-tsan

test-asan: deps
	$(SAN_CMAKE) -B $(ASAN_DIR) -DNEXUS_SANITIZE=address,undefined -DNEXUS_FUZZ=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_DIR) -j $(JOBS)
	cd $(ASAN_DIR) && ctest --output-on-failure -j $(JOBS) -LE 'e2e|node'

test-tsan: deps
	$(SAN_CMAKE) -B $(TSAN_DIR) -DNEXUS_SANITIZE=thread \
	  '-DNEXUS_TEST_DIRS=jobs;testrail;integration' $(CMAKE_FLAGS)
	cmake --build $(TSAN_DIR) -j $(JOBS) --target $(TSAN_TESTS)
	cd $(TSAN_DIR) && ctest --output-on-failure -j $(JOBS) -R '^($(subst $(space),|,$(TSAN_TESTS)))$$'

# `make fuzz T=<target> [SECONDS=n]`: one libFuzzer target on its seed corpus (copied to a
# scratch dir so new inputs don't dirty the tree), until stopped or for SECONDS. Crash inputs
# land in $(ASAN_DIR)/fuzz/<target>/; fix the bug and add the input to the seed corpus.
FUZZERS = $(notdir $(basename $(wildcard tests/fuzz/fuzz_*.cc)))
SECONDS ?= 0
fuzz-build: deps
	$(SAN_CMAKE) -B $(ASAN_DIR) -DNEXUS_SANITIZE=address,undefined -DNEXUS_FUZZ=ON $(CMAKE_FLAGS)
	cmake --build $(ASAN_DIR) -j $(JOBS) --target $(FUZZERS)

fuzz: fuzz-build
	@test -n "$(T)" || { echo "usage: make fuzz T=<target> [SECONDS=n]; targets: $(FUZZERS)"; exit 2; }
	@bash scripts/fuzz.sh $(ASAN_DIR) $(T) $(SECONDS)

fuzz-ci: fuzz-build
	@set -e; for t in $(FUZZERS); do bash scripts/fuzz.sh $(ASAN_DIR) $$t 60; done

clean:
	rm -rf $(BUILD_DIR)
