# pfcap: the two commands README.md gives, plus benchmarks.
#   make demo   install missing packages, build, run pfcap on the sample
#   make check  install missing packages, build, run the whole test suite
#               (and the unit + differential suites under ASan + UBSan)
#   make bench  build and run the benchmarks (never part of make check)

BUILD ?= build
ASAN_BUILD ?= build-asan
MESON_OPTS ?=
SAMPLE := data/sample.pcap
PFCAP := $(BUILD)/cli/pfcap

.PHONY: all deps setup build demo check check-main check-asan bench install clean

all: build

deps:
	@./scripts/install-deps.sh

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS)

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) $(MESON_OPTS) -Db_sanitize=address,undefined -Db_lundef=false

setup: deps $(BUILD)/build.ninja

build: setup
	meson compile -C $(BUILD)

demo: build
	@echo "== the first packets of $(SAMPLE), printed as tcpdump prints them"
	$(PFCAP) -nn -r $(SAMPLE) -c 8
	@echo "== pfcap's classic BPF for 'tcp dst port 80' (tcpdump -d format)"
	$(PFCAP) -d 'tcp dst port 80'
	@echo "== filtering the sample with an expression, on the JIT"
	$(PFCAP) -r $(SAMPLE) -w $(BUILD)/demo-web.pcap 'tcp dst port 80'
	$(PFCAP) -nn -r $(BUILD)/demo-web.pcap
	@echo "== the same with a program from tcpdump -ddd (data/web.cbpf), and the count"
	$(PFCAP) -r $(SAMPLE) --cbpf data/web.cbpf --count
	@echo "== every engine on the same packets"
	$(PFCAP) bench -r $(SAMPLE) 'tcp dst port 80'

check: build
	$(MAKE) --no-print-directory check-main check-asan
	@./scripts/test-summary.py $(BUILD) $(ASAN_BUILD)

check-main:
	meson test -C $(BUILD) --print-errorlogs --no-suite bench

check-asan: $(ASAN_BUILD)/build.ninja
	meson compile -C $(ASAN_BUILD)
	meson test -C $(ASAN_BUILD) --print-errorlogs --suite unit --suite diff --suite fuzz --timeout-multiplier 4

bench: build
	meson test -C $(BUILD) --benchmark --suite bench --verbose

install: build
	meson install -C $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
