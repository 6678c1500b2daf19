# The probe guest: a freestanding bzImage built from tests/guest/.
# Included by the top-level Makefile (BUILD, CC come from there).

GUEST_SRC   := tests/guest
GUEST_BUILD := $(BUILD)/guest
GUEST_IMAGE := $(GUEST_BUILD)/probe.bzImage
GUEST_ELF   := $(GUEST_BUILD)/probe.elf

GUEST_CPPFLAGS := -I$(GUEST_SRC) -Ivmm-core -MMD -MP
# Position-dependent code linked at 1 MiB (mcmodel=small covers it); no
# SSE/x87 state is ever set up, and interrupts land on the current stack
# in ring 0, hence no red zone. Loop-to-memcpy rewriting is off because
# string.c's memcpy is itself such a loop.
GUEST_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -O2 -ffreestanding -nostdlib \
	-fno-pic -fno-pie -mcmodel=small -mno-red-zone -mno-sse -mno-mmx \
	-mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-tree-loop-distribute-patterns -fno-omit-frame-pointer
GUEST_ASFLAGS := -Wa,--noexecstack -Wa,--fatal-warnings
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,--build-id=none \
	-Wl,-z,noexecstack -Wl,--no-warn-rwx-segments -Wl,-T,$(GUEST_SRC)/probe.ld

GUEST_OBJS := $(patsubst $(GUEST_SRC)/%.c,$(GUEST_BUILD)/%.o,$(wildcard $(GUEST_SRC)/*.c)) \
	$(patsubst $(GUEST_SRC)/%.S,$(GUEST_BUILD)/%.o,$(wildcard $(GUEST_SRC)/*.S))

.PHONY: guest
guest: $(GUEST_IMAGE)

$(GUEST_BUILD)/%.o: $(GUEST_SRC)/%.c $(GUEST_SRC)/guest.mk
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) -c $< -o $@

$(GUEST_BUILD)/%.o: $(GUEST_SRC)/%.S $(GUEST_SRC)/guest.mk
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CPPFLAGS) $(GUEST_ASFLAGS) -c $< -o $@

$(GUEST_ELF): $(GUEST_OBJS) $(GUEST_SRC)/probe.ld
	$(CC) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJS)

# The setup and protected-mode parts back to back, as their LMAs say.
$(GUEST_IMAGE): $(GUEST_ELF)
	objcopy -O binary -j .setup -j .pm $< $@
