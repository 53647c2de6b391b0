# hellobench: `make` builds everything into build/bin, `make test` runs every test,
# `make bench` runs the suite on its default (quick) profile.
BUILD      ?= build
BUILD_TYPE ?= Release
JOBS       ?= $(shell nproc)
PROFILE    ?= quick
CTEST_ARGS ?=

export PATH := $(PATH):/usr/local/go/bin:$(HOME)/go/bin:$(HOME)/.cargo/bin

.PHONY: all setup configure servers test bench bench-builds bench-build-curve bench-servers microbench microbench-json format clean help

all: configure
	cmake --build $(BUILD) -j $(JOBS)

help:
	@echo "make            build everything into $(BUILD)/bin (installs what is missing first)"
	@echo "make servers    build cpp-server, go-server and rust-server"
	@echo "make test       build, then run every test (ctest: C++, go test, cargo test, integration)"
	@echo "make fuzz       every fuzz target for FUZZ_SECONDS (1800) or FUZZ_RUNS (10M) each, niced"
	@echo "make bench      run the suite: hellobench run --profile \$$PROFILE (default quick)"
	@echo "make bench-builds   every build loop on the generated services at 1 module"
	@echo "make bench-build-curve  the whole build curve (1, 10, 50, 200 modules; hours on 2 cores)"
	@echo "make bench-servers  CPU per request of each server, one pinned core each"
	@echo "make gate       same-job gate: the working tree against \$$GATE_REF (default main)"
	@echo "make report     HTML dashboard of the latest run and the history (build/report/site)"
	@echo "make test-browser    the dashboard in headless Chromium (screenshots kept)"
	@echo "make test-gate-same-job  the same-job gate on real servers (minutes)"
	@echo "make test-container  build the CI image with podman and run the gate in it"
	@echo "make microbench     Google Benchmark microbenchmarks of the hot paths, then microbench-json"
	@echo "make microbench-json  JSON parse/serialise in each language's harness -> $(BUILD)/microbench/json.json"

# Installs missing Debian packages (as root) and checks Go and Rust; ~1 s when all is there.
setup:
	@bash scripts/setup.sh

configure: setup
	@test -f $(BUILD)/build.ninja || cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

servers: configure
	cmake --build $(BUILD) -j $(JOBS) --target cpp-server go-server rust-server

test: all
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

# The JSON microbenchmarks first (about 3 minutes): the json claim reads them.
bench: all microbench-json
	$(BUILD)/bin/hellobench run --profile $(PROFILE)

# Every build loop on the generated services (native, CI, container) at the smallest size, and
# the hello servers' dev and CI builds: the build claims' own run (tens of minutes on 2 cores).
bench-builds: all
	$(BUILD)/bin/hellobench run --profile builds

bench-build-curve: all
	$(BUILD)/bin/hellobench run --profile build-curve

bench-servers: all
	bash bench/servers-cpu.sh

# Google Benchmark microbenchmarks of the hot paths, then the JSON microbenchmarks of the three
# languages in their own harnesses (contract/README.md), merged into $(BUILD)/microbench/json.json,
# which `hellobench run` reads into results.json for the json claim. Pinned to CPU 1.
MICRO := $(abspath $(BUILD))/microbench
microbench: all
	@for b in $(BUILD)/bench/*; do [ -x "$$b" ] && [ "$$(basename $$b)" != cpp_server_json_bench ] && { "$$b" || exit 1; }; done
	@$(MAKE) --no-print-directory microbench-json

microbench-json: configure
	cmake --build $(BUILD) -j $(JOBS) --target hellobench cpp_server_json_bench
	@mkdir -p $(MICRO)
	HELLOBENCH_MICROBENCH_OUT=$(MICRO)/cpp.json taskset -c 1 $(BUILD)/bench/cpp_server_json_bench --benchmark_repetitions=3 --benchmark_display_aggregates_only=false
	cd go-server && HELLOBENCH_MICROBENCH_OUT=$(MICRO)/go.json taskset -c 1 go test -count=1 -run '^TestWriteMicrobenchReport$$' -benchtime 1s .
	cd rust-server && HELLOBENCH_MICROBENCH_OUT=$(MICRO)/rust.json CARGO_TARGET_DIR=$(abspath $(BUILD))/cargo taskset -c 1 cargo bench --locked --bench json -- --warm-up-time 1 --measurement-time 3
	$(BUILD)/bin/hellobench microbench --out $(MICRO)/json.json $(MICRO)/cpp.json $(MICRO)/go.json $(MICRO)/rust.json

format:
	@find cpp-server loadgen orchestrator tests bench -name '*.[ch]pp' | xargs -r clang-format -i
	@cd go-server && gofmt -w .
	@cd rust-server && cargo fmt

clean:
	rm -rf $(BUILD)

# --- the gate, the dashboard and the CI container (orchestrator/README.md: "The gate", "The
# dashboard", "The CI container"). `make gate` judges the working tree against main in one job.
GATE_REF   ?= main
GATE_WORK  ?= $(BUILD)/gate
REPORT_DIR ?= $(BUILD)/report/site

.PHONY: gate report report-deps test-browser test-gate-same-job test-container

gate: all
	$(BUILD)/bin/hellobench gate --baseline-ref $(GATE_REF) --work-dir $(GATE_WORK)

# Chart.js (inlined into the dashboard) and playwright-core (the browser test), pinned by
# orchestrator/report/package-lock.json, installed under $(BUILD)/report; never committed.
$(BUILD)/report/.installed: orchestrator/report/package.json orchestrator/report/package-lock.json
	@mkdir -p $(BUILD)/report
	cp orchestrator/report/package.json orchestrator/report/package-lock.json $(BUILD)/report/
	cd $(BUILD)/report && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

report-deps: $(BUILD)/report/.installed

# The dashboard test (ctest Dashboard.RendersInHeadlessChromium) needs these packages.
test: report-deps

report: all report-deps
	$(BUILD)/bin/hellobench report --html $(REPORT_DIR)

test-browser: all report-deps
	HELLOBENCH=$(abspath $(BUILD))/bin/hellobench HELLOBENCH_NODE_MODULES=$(abspath $(BUILD))/report/node_modules \
	  HELLOBENCH_TEST_OUT=$(abspath $(BUILD))/test-output/dashboard node --test orchestrator/test/browser/

# The same-job gate on the real servers, slowed and unchanged candidates, three times each
# (several minutes: kept out of `make test`).
test-gate-same-job: all
	HELLOBENCH_SAME_JOB_GATE=1 ctest --test-dir $(BUILD) -R 'SameJobGate' --output-on-failure

test-container:
	bash ci/test-container.sh

# --- generated-service builds (README.md: "Builds at service scale"). `make test`
# builds and starts the generated Go service; these build the Rust and C++ ones too (minutes),
# and the container loop with real podman image builds (HELLOBENCH_*_TESTS turn them on).
.PHONY: test-services test-build-containers

test-services: all
	HELLOBENCH_SERVICE_TESTS=1 ctest --test-dir $(BUILD) --output-on-failure -R 'GeneratedService|GenerateService' $(CTEST_ARGS)

test-build-containers: all
	HELLOBENCH_CONTAINER_TESTS=1 ctest --test-dir $(BUILD) --output-on-failure -R 'ContainerTest' $(CTEST_ARGS)

# --- fuzzing. `make test` replays each libFuzzer target from its corpus with seed 1 for a fixed
# number of executions (repeatable; Go's fuzz seeds run in go-server.test); this searches: it
# runs each for FUZZ_SECONDS or FUZZ_RUNS executions (whichever comes first; Go's fuzzer takes
# only a time), one at a time and niced, with the corpora growing under $(FUZZ_DIR).
FUZZ_SECONDS ?= 1800
FUZZ_RUNS    ?= 10000000
FUZZ_CASES   ?= 1000000
FUZZ_DIR     ?= $(BUILD)/fuzz

.PHONY: fuzz

fuzz:
	@mkdir -p $(FUZZ_DIR)
	FUZZ_NICE=19 bash cpp-server/fuzz/run-fuzz.sh request $(FUZZ_DIR)/cpp-server $(FUZZ_SECONDS) clang++ -- -runs=$(FUZZ_RUNS)
	FUZZ_NICE=19 bash cpp-server/fuzz/run-fuzz.sh orders $(FUZZ_DIR)/cpp-server $(FUZZ_SECONDS) clang++ -- -runs=$(FUZZ_RUNS)
	FUZZ_NICE=19 bash orchestrator/fuzz/run-fuzz.sh $(FUZZ_DIR)/orchestrator $(FUZZ_SECONDS) clang++ -- -runs=$(FUZZ_RUNS)
	nice -n 19 bash loadgen/fuzz/run-fuzz.sh $(FUZZ_DIR)/loadgen $(FUZZ_SECONDS)
	cd go-server && nice -n 19 go test -run '^$$' -fuzz '^FuzzOrders$$' -fuzztime $(FUZZ_SECONDS)s -parallel 1 -test.fuzzcachedir=$(abspath $(FUZZ_DIR))/go .
	cd go-server && nice -n 19 go test -run '^$$' -fuzz '^FuzzRouting$$' -fuzztime $(FUZZ_SECONDS)s -parallel 1 -test.fuzzcachedir=$(abspath $(FUZZ_DIR))/go .
	cd rust-server && HELLOBENCH_PROPTEST_CASES=$(FUZZ_CASES) CARGO_TARGET_DIR=$(abspath $(BUILD))/cargo nice -n 19 cargo test --release --locked --test fuzz_orders --test fuzz_routes
