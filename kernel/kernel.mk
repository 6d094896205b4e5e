# SPDX-License-Identifier: GPL-2.0-only
# Guest kernel modules (enl_vmbus.ko, enl_ic.ko), included by the top-level
# Makefile.
#
#   make modules        build for every kernel in ENL_KRELS (build/kernels.mk)
#                       into build/modules/<krel>/*.ko; warnings fail
#   make dkms-install   install the sources as DKMS package enlighten/<ver>
#                       and kernel/modprobe.d/enlighten.conf (blacklists hv_*)
#   make dkms-check     build that package with dkms for every kernel in a
#                       private DKMS tree (part of make test)
#
# Kbuild runs in a staged copy, build/kbuild/<krel>/, of the files it needs
# (kernel/kbuild.mk becomes its Kbuild), so the source tree stays clean.

-include $(BUILD)/kernels.mk

KMOD_SRCS := $(sort $(wildcard kernel/*.c kernel/*.h kernel/include/*.h \
	     ic-services/*.c ic-services/*.h include/enl/*.c include/enl/*.h))
KMOD_OUT  := $(BUILD)/modules
KMOD_KB   := $(BUILD)/kbuild
DKMS_VERSION ?= 0.1

.PHONY: modules dkms-install dkms-check

modules: $(foreach k,$(ENL_KRELS),$(KMOD_OUT)/$(k)/.built)
ifeq ($(strip $(ENL_KRELS)),)
	@echo "modules: no guest kernels known yet, so no modules built; run 'make deps' (installs their headers), then 'make'"
endif

# stage, build with W=1, refuse any warning, copy the .ko files out
$(KMOD_OUT)/%/.built: $(KMOD_SRCS) kernel/kbuild.mk kernel/kernel.mk
	@set -e; krel='$*'; kb='$(KMOD_KB)'/"$$krel"; \
	mkdir -p "$$kb"; \
	cp -p --parents $(KMOD_SRCS) "$$kb/"; \
	cp -p kernel/kbuild.mk "$$kb/Kbuild"; \
	echo "  KBUILD  $$krel"; \
	if ! $(MAKE) --no-print-directory -C $(ENL_HEADERS_DIR)/"$$krel"/build \
		M="$$kb" W=1 modules > "$$kb/build.log" 2>&1; then \
		cat "$$kb/build.log"; echo "modules for $$krel: build failed"; exit 1; \
	fi; \
	if grep -E 'warning:|error:' "$$kb/build.log"; then \
		echo "modules for $$krel: warnings are errors (log: $$kb/build.log)"; exit 1; \
	fi; \
	mkdir -p '$(KMOD_OUT)'/"$$krel"; \
	rm -f '$(KMOD_OUT)'/"$$krel"/*.ko; \
	cp "$$kb"/*.ko '$(KMOD_OUT)'/"$$krel"/; \
	touch '$@'

# DKMS: the same staged layout as Kbuild's, as /usr/src/enlighten-<ver>
DKMS_SRC := $(BUILD)/dkms/enlighten-$(DKMS_VERSION)

$(DKMS_SRC)/dkms.conf: $(KMOD_SRCS) kernel/kbuild.mk dkms.conf kernel/kernel.mk
	@rm -rf '$(DKMS_SRC)'; mkdir -p '$(DKMS_SRC)'
	@cp --parents $(KMOD_SRCS) '$(DKMS_SRC)/'
	@cp kernel/kbuild.mk '$(DKMS_SRC)/Kbuild'
	@sed 's/@VERSION@/$(DKMS_VERSION)/' dkms.conf > '$@'

dkms-install: $(DKMS_SRC)/dkms.conf
	@set -e; d=/usr/src/enlighten-$(DKMS_VERSION); \
	rm -rf "$$d"; cp -r '$(DKMS_SRC)' "$$d"; \
	dkms remove enlighten/$(DKMS_VERSION) --all >/dev/null 2>&1 || true; \
	dkms add enlighten/$(DKMS_VERSION); \
	dkms build enlighten/$(DKMS_VERSION); \
	dkms install enlighten/$(DKMS_VERSION); \
	install -D -m 644 kernel/modprobe.d/enlighten.conf /etc/modprobe.d/enlighten.conf

dkms-check: modules $(DKMS_SRC)/dkms.conf
	@ENL_HEADERS_DIR=$(ENL_HEADERS_DIR) kernel/dkms-check.sh '$(DKMS_SRC)' $(DKMS_VERSION) $(ENL_KRELS)

# The test bed puts build/modules/<krel>/*.ko into the L2 images: keep them
# fresh for make nested / demo / shell too.
nested-tools: modules
