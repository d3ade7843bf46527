# Entry points. `make test` and `make run` work from a fresh clone on a fresh Debian
# machine: they install what is missing (scripts/install-deps.sh) and build first.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
WERROR ?= $(if $(CI),ON,OFF)
CMAKE_FLAGS ?=

.PHONY: all deps configure build web test run demo format format-check bench clean

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

clean:
	rm -rf $(BUILD_DIR)
