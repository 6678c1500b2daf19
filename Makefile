# cellvm build. `make` builds everything into build/, `make test` builds a
# sanitized copy into build/test/ and runs every test, `make run` boots the
# default microVM, `make bench` runs the benchmarks.

CC       ?= gcc
BUILD    ?= build
TBUILD   := $(BUILD)/test
VERSION  := 0.1.0

WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
CFLAGS_COMMON := -std=gnu11 $(WARN) -D_GNU_SOURCE -DCELLVM_VERSION='"$(VERSION)"' -I. -Ivmm-core -Iipc -MMD -MP
CFLAGS   ?= -O2 -g
SAN      := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDLIBS   := -lpthread

CORE_LIB_SRCS := $(filter-out vmm-core/main.c,$(wildcard vmm-core/*.c vmm-core/*/*.c))
IPC_SRCS      := $(wildcard ipc/*.c)
# Each device-procs/NAME/ with a main.c is the program cellvm-NAME; its
# other files are also linked into the unit tests.
DEV_NAMES     := $(notdir $(patsubst %/main.c,%,$(wildcard device-procs/*/main.c)))
DEV_LIB_SRCS  := $(filter-out %/main.c,$(wildcard device-procs/*/*.c))
DEV_LIBS      := -luring
CORE_MAIN     := vmm-core/main.c
UNIT_SRCS     := $(wildcard tests/unit/*.c)
INTEG_SRCS    := $(wildcard tests/integration/*.c)
BENCH_SRCS    := $(wildcard bench/*.c)

obj = $(patsubst %.c,$(1)/obj/%.o,$(2))

CORE_OBJS   := $(call obj,$(BUILD),$(CORE_LIB_SRCS) $(IPC_SRCS))
T_CORE_OBJS := $(call obj,$(TBUILD),$(CORE_LIB_SRCS) $(IPC_SRCS))
DEV_BINS    := $(addprefix $(BUILD)/cellvm-,$(DEV_NAMES))
T_DEV_BINS  := $(addprefix $(TBUILD)/cellvm-,$(DEV_NAMES))

.PHONY: all deps test unit integration run bench clean guest linux

all: deps $(BUILD)/cellvm $(DEV_BINS) guest $(if $(BENCH_SRCS),$(BUILD)/bench/launch)

# Installs missing Debian packages once per checkout (no-op when present).
DEPS_STAMP := $(BUILD)/.deps-ok
deps: $(DEPS_STAMP)
$(DEPS_STAMP): scripts/install-deps.sh
	@mkdir -p $(BUILD)
	scripts/install-deps.sh
	@touch $@

$(BUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) -c $< -o $@

$(TBUILD)/obj/%.o: %.c | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) -O1 -g $(SAN) -DCELLVM_TEST_BUILD -c $< -o $@

$(BUILD)/cellvm: $(CORE_OBJS) $(call obj,$(BUILD),$(CORE_MAIN))
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(TBUILD)/cellvm: $(T_CORE_OBJS) $(call obj,$(TBUILD),$(CORE_MAIN))
	$(CC) $(SAN) -o $@ $^ $(LDLIBS)

# cellvm-NAME: its own directory plus the shared ipc/ code.
.SECONDEXPANSION:
.SECONDARY:
$(BUILD)/cellvm-%: $$(call obj,$(BUILD),$$(wildcard device-procs/$$*/*.c) $(IPC_SRCS))
	$(CC) $(CFLAGS) -o $@ $^ $(DEV_LIBS) $(LDLIBS)

$(TBUILD)/cellvm-%: $$(call obj,$(TBUILD),$$(wildcard device-procs/$$*/*.c) $(IPC_SRCS))
	$(CC) $(SAN) -o $@ $^ $(DEV_LIBS) $(LDLIBS)

$(TBUILD)/unit-tests: $(T_CORE_OBJS) $(call obj,$(TBUILD),$(DEV_LIB_SRCS) $(UNIT_SRCS))
	$(CC) $(SAN) -o $@ $^ -lcriterion $(DEV_LIBS) $(LDLIBS)

$(TBUILD)/integration-tests: $(call obj,$(TBUILD),$(INTEG_SRCS))
	$(CC) $(SAN) -o $@ $^ -lcriterion $(LDLIBS)

$(BUILD)/bench/launch: $(call obj,$(BUILD),$(BENCH_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lm

-include tests/guest/guest.mk

test: deps linux $(TBUILD)/cellvm $(T_DEV_BINS) $(TBUILD)/unit-tests $(TBUILD)/integration-tests guest
	CELLVM=$(TBUILD)/cellvm CELLVM_BIN_DIR=$(TBUILD) PROBE=$(GUEST_IMAGE) BUILD=$(BUILD) tests/run.sh $(TBUILD)

unit: deps $(TBUILD)/unit-tests
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp $(TBUILD)/unit-tests

run: all
	$(BUILD)/cellvm run --kernel $(GUEST_IMAGE) --cpus 2 --mem 128 --cmdline "probe=demo" --boot-timer

# Debian's kernel package and a busybox initramfs, cached under build/linux.
linux: deps
	scripts/fetch-linux.sh $(BUILD)/linux

bench: all linux-optional
	$(BUILD)/bench/launch --cellvm $(BUILD)/cellvm --probe $(GUEST_IMAGE)

.PHONY: linux-optional
linux-optional:

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
