# hellobench: `make` builds everything into build/bin, `make test` runs every test,
# `make bench` runs the suite on its default (quick) profile.
BUILD      ?= build
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc)
PROFILE    ?= quick
CTEST_ARGS ?=

export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin:$(HOME)/.cargo/bin

.PHONY: all setup configure servers test bench bench-servers microbench format clean help

all: configure
	cmake --build $(BUILD) -j $(JOBS)

help:
	@echo "make            build everything into $(BUILD)/bin (installs what is missing first)"
	@echo "make servers    build cpp-server, go-server and rust-server"
	@echo "make test       build, then run every test (ctest: C++, go test, cargo test, integration)"
	@echo "make bench      run the suite: hellobench run --profile \$$PROFILE (default quick)"
	@echo "make bench-servers  CPU per request of each server, one pinned core each"
	@echo "make microbench     Google Benchmark microbenchmarks of the hot paths"

# Installs missing Debian packages (as root) and checks Go and Rust; ~1 s when all is there.
setup:
	@bash scripts/setup.sh

configure: setup
	@test -f $(BUILD)/build.ninja || cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

servers: configure
	cmake --build $(BUILD) -j $(JOBS) --target cpp-server go-server rust-server

test: all
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

bench: all
	$(BUILD)/bin/hellobench run --profile $(PROFILE)

bench-servers: all
	bash bench/servers-cpu.sh

microbench: all
	@for b in $(BUILD)/bench/*; do [ -x "$$b" ] && "$$b" || exit 1; done

format:
	@find cpp-server loadgen orchestrator tests bench -name '*.[ch]pp' | xargs -r clang-format -i
	@cd go-server && gofmt -w .
	@cd rust-server && cargo fmt

clean:
	rm -rf $(BUILD)
