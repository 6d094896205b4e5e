# SPDX-License-Identifier: GPL-2.0-only
# Guest kernel modules, included by the top-level Makefile.  A module is
# one folder with a module.kbuild fragment (kernel/ for enl_vmbus.ko,
# ic-services/ for enl_ic.ko, vsc-*/ ...): `make modules`, the staging
# below and the DKMS package find every such folder by itself.
#
#   make modules        build for every kernel in ENL_KRELS (build/kernels.mk)
#                       into build/modules/<krel>/*.ko; warnings fail
#   make dkms-install   install the sources as DKMS package enlighten/<ver>
#                       and kernel/modprobe.d/enlighten.conf (blacklists hv_*)
#   make dkms-check     build that package with dkms for every kernel in a
#                       private DKMS tree (part of make test)
#
# Kbuild runs in a staged copy, build/kbuild/<krel>/, of the files it needs
# (kernel/kbuild.mk becomes its Kbuild, preceded by the list of module
# folders), so the source tree stays clean.

-include $(BUILD)/kernels.mk

KMOD_FRAGS := $(sort $(wildcard */module.kbuild))
KMOD_DIRS  := $(patsubst %/module.kbuild,%,$(KMOD_FRAGS))
# module names from the fragments' "obj-m += NAME.o" lines
KMOD_NAMES := $(sort $(shell sed -n 's/^obj-m[[:space:]]*+=[[:space:]]*\([A-Za-z0-9_-]*\)\.o[[:space:]]*$$/\1/p' $(KMOD_FRAGS)))
KMOD_SRCS := $(sort $(KMOD_FRAGS) $(wildcard include/enl/*.c include/enl/*.h \
	     $(foreach d,$(KMOD_DIRS),$(d)/*.c $(d)/*.h $(d)/include/*.h)))
KMOD_OUT  := $(BUILD)/modules
KMOD_KB   := $(BUILD)/kbuild
DKMS_VERSION ?= 0.1

.PHONY: modules dkms-install dkms-check

modules: $(foreach k,$(ENL_KRELS),$(KMOD_OUT)/$(k)/.built)
ifeq ($(strip $(ENL_KRELS)),)
	@echo "modules: no guest kernels known yet, so no modules built; run 'make deps' (installs their headers), then 'make'"
endif

# The staged Kbuild: the module folders, then kernel/kbuild.mk.  Written
# only when it changes, so Kbuild does not rebuild for nothing.
define kmod_kbuild
{ echo 'ENL_MODULE_DIRS := $(KMOD_DIRS)'; cat kernel/kbuild.mk; } > $(1).new; \
	if cmp -s $(1).new $(1); then rm -f $(1).new; else mv $(1).new $(1); fi
endef

# stage, build with W=1, refuse any warning, copy the .ko files out
$(KMOD_OUT)/%/.built: $(KMOD_SRCS) kernel/kbuild.mk kernel/kernel.mk
	@set -e; krel='$*'; kb='$(KMOD_KB)'/"$$krel"; \
	mkdir -p "$$kb"; \
	cp -p --parents $(KMOD_SRCS) "$$kb/"; \
	$(call kmod_kbuild,"$$kb/Kbuild"); \
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
	for m in $(KMOD_NAMES); do cp "$$kb/$$m.ko" '$(KMOD_OUT)'/"$$krel"/; done; \
	touch '$@'

# DKMS: the same staged layout as Kbuild's, as /usr/src/enlighten-<ver>
DKMS_SRC := $(BUILD)/dkms/enlighten-$(DKMS_VERSION)

$(DKMS_SRC)/dkms.conf: $(KMOD_SRCS) kernel/kbuild.mk dkms.conf kernel/kernel.mk
	@rm -rf '$(DKMS_SRC)'; mkdir -p '$(DKMS_SRC)'
	@cp --parents $(KMOD_SRCS) '$(DKMS_SRC)/'
	@$(call kmod_kbuild,'$(DKMS_SRC)/Kbuild')
	@# dkms.conf is the template plus one BUILT_MODULE_NAME per module
	@{ sed 's/@VERSION@/$(DKMS_VERSION)/' dkms.conf; i=0; \
	   for m in $(KMOD_NAMES); do \
		echo "BUILT_MODULE_NAME[$$i]=\"$$m\""; \
		echo "DEST_MODULE_LOCATION[$$i]=\"/updates/dkms\""; \
		i=$$((i + 1)); \
	   done; } > '$@'

dkms-install: $(DKMS_SRC)/dkms.conf
	@set -e; d=/usr/src/enlighten-$(DKMS_VERSION); \
	rm -rf "$$d"; cp -r '$(DKMS_SRC)' "$$d"; \
	dkms remove enlighten/$(DKMS_VERSION) --all >/dev/null 2>&1 || true; \
	dkms add enlighten/$(DKMS_VERSION); \
	dkms build enlighten/$(DKMS_VERSION); \
	dkms install enlighten/$(DKMS_VERSION); \
	install -D -m 644 kernel/modprobe.d/enlighten.conf /etc/modprobe.d/enlighten.conf

dkms-check: modules $(DKMS_SRC)/dkms.conf
	@ENL_HEADERS_DIR=$(ENL_HEADERS_DIR) ENL_BUILD=$(abspath $(BUILD)) kernel/dkms-check.sh '$(DKMS_SRC)' $(DKMS_VERSION) $(ENL_KRELS)

# The test bed puts build/modules/<krel>/*.ko into the L2 images: keep them
# fresh for make nested / demo / shell too.
nested-tools: modules
