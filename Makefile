# cellvm build. `make` builds everything into build/, `make test` builds a
# sanitized copy into build/test/ and runs every test, `make run` boots the
# default microVM, `make bench` runs the benchmarks.

CC       ?= gcc
BUILD    ?= build
TBUILD   := $(BUILD)/test
VERSION  := 0.1.0

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
# Code protoc-c generates from ipc/proto/*.proto; never committed.
GEN      := $(BUILD)/gen
PROTO    := ipc/proto/cellvm.proto
GEN_SRC  := $(GEN)/cellvm.pb-c.c
GEN_HDR  := $(GEN)/cellvm.pb-c.h
CFLAGS_COMMON := -std=gnu11 $(WARN) -D_GNU_SOURCE -DCELLVM_VERSION='"$(VERSION)"' -I. -Ivmm-core -Iipc -I$(GEN) -MMD -MP
CFLAGS   ?= -O2 -g
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDLIBS   := -lcap -lpthread
API_LIBS := -lprotobuf-c -ljson-c

CORE_LIB_SRCS := $(filter-out vmm-core/main.c,$(wildcard vmm-core/*.c vmm-core/*/*.c))
# ipc/api_*.c is the control API (protobuf-c, json-c): the core, cellctl
# and the tests link it, device programs do not.
IPC_API_SRCS  := $(wildcard ipc/api_*.c)
IPC_SRCS      := $(filter-out $(IPC_API_SRCS) ipc/cellctl/%,$(wildcard ipc/*.c))
CELLCTL_SRCS  := $(wildcard ipc/cellctl/*.c)
API_OBJ_SRCS  := $(IPC_API_SRCS) $(GEN_SRC)
# Each device-procs/NAME/ with a main.c is the program cellvm-NAME; its
# other files are also linked into the unit tests.
DEV_NAMES     := $(notdir $(patsubst %/main.c,%,$(wildcard device-procs/*/main.c)))
DEV_LIB_SRCS  := $(filter-out %/main.c,$(wildcard device-procs/*/*.c))
DEV_LIBS      := -luring
CORE_MAIN     := vmm-core/main.c
UNIT_SRCS     := $(wildcard tests/unit/*.c)
INTEG_SRCS    := $(wildcard tests/integration/*.c)
BENCH_SRCS    := $(wildcard bench/*.c)
# policy/: the seccomp tables become BPF at build time (policy-gen links
# libseccomp) and the programs embed BUILD/gen/policy_bpf.c with the small
# runtime part; the unit tests get the tables too. jailer/ is cellvm-jailer.
POLICY_RT_SRCS  := policy/apply.c policy/caps.c policy/names.c
POLICY_LIB_SRCS := $(filter-out policy/policy_gen.c $(POLICY_RT_SRCS),$(wildcard policy/*.c))
POLICY_OBJS      = $(call obj,$(1),$(POLICY_RT_SRCS) $(1)/gen/policy_bpf.c)
JAILER_LIB_SRCS := $(filter-out jailer/main.c,$(wildcard jailer/*.c))

obj = $(patsubst %.c,$(1)/obj/%.o,$(2))

CORE_OBJS   := $(call obj,$(BUILD),$(CORE_LIB_SRCS) $(IPC_SRCS) $(API_OBJ_SRCS))
T_CORE_OBJS := $(call obj,$(TBUILD),$(CORE_LIB_SRCS) $(IPC_SRCS) $(API_OBJ_SRCS))
CORE_OBJS   += $(call POLICY_OBJS,$(BUILD))
T_CORE_OBJS += $(call POLICY_OBJS,$(TBUILD))
DEV_BINS    := $(addprefix $(BUILD)/cellvm-,$(DEV_NAMES))
T_DEV_BINS  := $(addprefix $(TBUILD)/cellvm-,$(DEV_NAMES))

.PHONY: all deps test unit integration run bench clean guest linux fuzz

all: deps $(BUILD)/cellvm $(BUILD)/cellctl $(DEV_BINS) $(BUILD)/kvm-probe guest $(if $(BENCH_SRCS),$(BUILD)/bench/launch)

# Installs missing Debian packages once per checkout (no-op when present).
DEPS_STAMP := $(BUILD)/.deps-ok
deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/install-deps.sh
	@mkdir -p $(BUILD)
	scripts/install-deps.sh
	@touch $@

$(GEN_SRC) $(GEN_HDR) &: $(PROTO) | $(DEPS_STAMP)
	@mkdir -p $(GEN)
	protoc-c --proto_path=$(dir $(PROTO)) --c_out=$(GEN) $(PROTO)

# Every object may include the generated header, so it exists first.
$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP) $(GEN_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -c $< -o $@

$(TBUILD)/obj/%.o: %.c | $(DEPS_STAMP) $(GEN_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -O1 -g $(SAN) -DCELLVM_TEST_BUILD -c $< -o $@

$(BUILD)/cellvm: $(CORE_OBJS) $(call obj,$(BUILD),$(CORE_MAIN))
	$(CC) $(CFLAGS) -o $@ $^ $(API_LIBS) $(LDLIBS)

$(TBUILD)/cellvm: $(T_CORE_OBJS) $(call obj,$(TBUILD),$(CORE_MAIN))
	$(CC) $(SAN) -o $@ $^ $(API_LIBS) $(LDLIBS)

# cellctl: the control API's command-line client.
$(BUILD)/cellctl: $(call obj,$(BUILD),$(CELLCTL_SRCS) $(API_OBJ_SRCS))
	$(CC) $(CFLAGS) -o $@ $^ $(API_LIBS)

$(TBUILD)/cellctl: $(call obj,$(TBUILD),$(CELLCTL_SRCS) $(API_OBJ_SRCS))
	$(CC) $(SAN) -o $@ $^ $(API_LIBS)

# cellvm-NAME: its own directory plus the shared ipc/ code.
.SECONDEXPANSION:
.SECONDARY:
$(BUILD)/cellvm-%: $$(call obj,$(BUILD),$$(wildcard device-procs/$$*/*.c) $(IPC_SRCS)) $(call POLICY_OBJS,$(BUILD))
	$(CC) $(CFLAGS) -o $@ $^ $(DEV_LIBS) $(LDLIBS)

$(TBUILD)/cellvm-%: $$(call obj,$(TBUILD),$$(wildcard device-procs/$$*/*.c) $(IPC_SRCS)) $(call POLICY_OBJS,$(TBUILD))
	$(CC) $(SAN) -o $@ $^ $(DEV_LIBS) $(LDLIBS)

$(TBUILD)/unit-tests: $(T_CORE_OBJS) $(call obj,$(TBUILD),$(DEV_LIB_SRCS) $(UNIT_SRCS))
	$(CC) $(SAN) -o $@ $^ -lcriterion $(DEV_LIBS) $(API_LIBS) $(LDLIBS)

$(TBUILD)/integration-tests: $(call obj,$(TBUILD),$(INTEG_SRCS) $(API_OBJ_SRCS))
	$(CC) $(SAN) -o $@ $^ -lcriterion $(API_LIBS) $(LDLIBS)

# Seccomp filters: policy-gen runs at build time and prints the BPF of
# every kind (test builds add what the sanitizers need).
$(BUILD)/policy-gen: $(call obj,$(BUILD),policy/policy_gen.c policy/names.c $(POLICY_LIB_SRCS))
	$(CC) $(CFLAGS) -o $@ $^ -lseccomp

$(TBUILD)/policy-gen: $(call obj,$(TBUILD),policy/policy_gen.c policy/names.c $(POLICY_LIB_SRCS))
	$(CC) $(SAN) -o $@ $^ -lseccomp

$(BUILD)/gen/policy_bpf.c $(TBUILD)/gen/policy_bpf.c: %/gen/policy_bpf.c: %/policy-gen
	@mkdir -p $(dir $@)
	$< > $@.tmp && mv $@.tmp $@

# cellvm-jailer (an explicit rule: it is no device program).
$(BUILD)/cellvm-jailer: $(call obj,$(BUILD),$(wildcard jailer/*.c) policy/caps.c ipc/text_file.c)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(TBUILD)/cellvm-jailer: $(call obj,$(TBUILD),$(wildcard jailer/*.c) policy/caps.c ipc/text_file.c)
	$(CC) $(SAN) -o $@ $^ $(LDLIBS)

all: $(BUILD)/cellvm-jailer
test: $(TBUILD)/cellvm-jailer
$(TBUILD)/unit-tests: $(call obj,$(TBUILD),$(POLICY_LIB_SRCS) $(JAILER_LIB_SRCS))
$(TBUILD)/unit-tests: LDLIBS += -lseccomp

# The bench links the seccomp runtime to time installing the filters.
$(BUILD)/bench/launch: $(call obj,$(BUILD),$(BENCH_SRCS)) $(call POLICY_OBJS,$(BUILD))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lm

-include tests/guest/guest.mk

# kvm-probe tells whether /dev/kvm works here; scripts/with-kvm.sh runs a
# command natively when it does and inside tests/kvm-host (a nested KVM
# host under QEMU) when it does not. CELLVM_KVM=native|nested forces either.
$(BUILD)/kvm-probe: tests/kvm-host/kvm_probe.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -o $@ $<
WITH_KVM := BUILD=$(BUILD) scripts/with-kvm.sh

test: deps linux $(BUILD)/kvm-probe $(TBUILD)/cellvm $(TBUILD)/cellctl $(T_DEV_BINS) $(TBUILD)/unit-tests $(TBUILD)/integration-tests guest
	CELLVM=$(TBUILD)/cellvm CELLVM_BIN_DIR=$(TBUILD) PROBE=$(GUEST_IMAGE) BUILD=$(BUILD) tests/run.sh $(TBUILD)

unit: deps $(TBUILD)/unit-tests
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp $(TBUILD)/unit-tests

run: all $(BUILD)/kvm-probe
	$(WITH_KVM) --label "make run" --timeout 600 -- \
		$(BUILD)/cellvm run --kernel $(GUEST_IMAGE) --cpus 2 --mem 128 --cmdline "probe=demo" --boot-timer

# Debian's kernel package and a busybox initramfs, cached under build/linux.
linux: deps
	scripts/fetch-linux.sh $(BUILD)/linux

# Exactly what the sections run: cellvm, its device programs, the jailer,
# the probe guest; QEMU and qemu-storage-daemon come with deps.
bench: deps linux $(BUILD)/kvm-probe $(BUILD)/bench/launch $(BUILD)/cellvm $(DEV_BINS) $(BUILD)/cellvm-jailer guest
	bench/run.sh $(BUILD) $(GUEST_IMAGE) $(BENCH_ARGS)

.PHONY: linux-optional
linux-optional:

# libFuzzer on the API's frame decoder, request handler and config file
# parser, FUZZ_TIME seconds each. Not part of `make test`; clang comes
# from apt on first use.
FUZZ_TIME ?= 60
FUZZ_DIR  := $(BUILD)/fuzz
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -DCELLVM_VERSION='"$(VERSION)"' -I. -Ivmm-core \
	-Iipc -I$(GEN) -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_API_SRCS := tests/fuzz/fuzz_api.c tests/unit/test_api_fake.c ipc/api_frame.c ipc/api_msg.c \
	vmm-core/api/api_conn.c vmm-core/api/api_handler.c vmm-core/api/api_config.c \
	vmm-core/api/api_convert.c vmm-core/vm_config.c vmm-core/vm_config_restart.c $(GEN_SRC)
FUZZ_CONFIG_SRCS := tests/fuzz/fuzz_config.c vmm-core/config_file.c ipc/api_json.c \
	vmm-core/api/api_config.c vmm-core/vm_config.c vmm-core/vm_config_restart.c $(GEN_SRC)

$(FUZZ_DIR)/fuzz_api: $(FUZZ_API_SRCS) | $(GEN_HDR)
	@command -v clang >/dev/null || { echo "fuzz: installing clang"; \
		$$( [ "$$(id -u)" -eq 0 ] || echo sudo ) apt-get install -y -qq clang; }
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(FUZZ_API_SRCS) -lprotobuf-c

$(FUZZ_DIR)/fuzz_config: $(FUZZ_CONFIG_SRCS) | $(GEN_HDR)
	@command -v clang >/dev/null || { echo "fuzz: installing clang"; \
		$$( [ "$$(id -u)" -eq 0 ] || echo sudo ) apt-get install -y -qq clang; }
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $(FUZZ_CONFIG_SRCS) -lprotobuf-c -ljson-c

fuzz: deps $(FUZZ_DIR)/fuzz_api $(FUZZ_DIR)/fuzz_config
	@mkdir -p $(FUZZ_DIR)/corpus-api $(FUZZ_DIR)/corpus-config
	$(FUZZ_DIR)/fuzz_api -max_total_time=$(FUZZ_TIME) -max_len=4096 $(FUZZ_DIR)/corpus-api tests/fuzz/seeds-api
	$(FUZZ_DIR)/fuzz_config -max_total_time=$(FUZZ_TIME) -max_len=4096 $(FUZZ_DIR)/corpus-config tests/fuzz/seeds-config

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
