# stp2bpf: the two commands of the README, and the targets behind them.
#   make run    install dependencies, build, run the main job (Tetris)
#   make check  install dependencies, build, run every test (ctest)
# Other targets: build, bench, fuzz (long fuzzing run), clean.

BUILD     ?= build
JOBS      ?= $(shell nproc)
CMAKE_GEN := -G Ninja
export CC  := clang
export CXX := clang++

.PHONY: all deps configure build run check bench fuzz clean

all: build

deps:
	@tools/install-deps.sh

$(BUILD)/build.ninja: CMakeLists.txt
	@cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

configure: deps $(BUILD)/build.ninja

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Tetris in this terminal: arrows move and rotate, q or Ctrl-C quits.
run: build
	@$(BUILD)/stp2bpf run samples/tetris.stp

check: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@cmake --build $(BUILD) --target benchmarks -j $(JOBS)
	@$(BUILD)/bench/run-benchmarks

fuzz: build
	@tests/fuzz/run-fuzzer --seconds $${FUZZ_SECONDS:-600} --build $(BUILD)

clean:
	rm -rf $(BUILD)
