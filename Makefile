# Thin wrapper over CMake.  Every entry point installs what is missing
# (scripts/setup.sh) and builds first, so it works on a fresh Debian 12.
#
#   make run      build and bring trustedge up on development defaults
#   make check    sanitizer build (ASan+UBSan, clang) + whole test suite + short fuzz runs
#   make bench    release build + benchmarks (ratios against baselines)
#   make fuzz     each fuzz target for FUZZ_SECONDS (default 60)
#   make install  install under PREFIX (default /usr/local)

BUILD        ?= build/release
CHECK_BUILD  ?= build/check
BENCH_BUILD  ?= build/bench
PREFIX       ?= /usr/local
FUZZ_SECONDS ?= 60
CHECK_FUZZ_SECONDS ?= 10
JOBS         ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: all setup build run check bench fuzz install clean

all: build

setup:
	@scripts/setup.sh

build: setup
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build $(BUILD) -j$(JOBS)

run: build
	@scripts/run-dev.sh $(BUILD)

check: setup
	cmake -S . -B $(CHECK_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
		-DTE_SANITIZE=ON -DTE_FUZZ=ON -DTE_FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) >/dev/null
	cmake --build $(CHECK_BUILD) -j$(JOBS)
	cd $(CHECK_BUILD) && ctest --output-on-failure -j$(JOBS)

bench: setup
	cmake -S . -B $(BENCH_BUILD) -DCMAKE_BUILD_TYPE=Release -DTE_BUILD_TESTS=OFF >/dev/null
	cmake --build $(BENCH_BUILD) -j$(JOBS)
	bench/run.sh $(BENCH_BUILD)

fuzz: setup
	cmake -S . -B $(CHECK_BUILD) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
		-DTE_SANITIZE=ON -DTE_FUZZ=ON -DTE_FUZZ_SECONDS=$(FUZZ_SECONDS) >/dev/null
	cmake --build $(CHECK_BUILD) -j$(JOBS)
	cd $(CHECK_BUILD) && ctest --output-on-failure -R '^fuzz\.'

install: build
	cmake --install $(BUILD)

clean:
	rm -rf build
