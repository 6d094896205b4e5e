# SPDX-License-Identifier: GPL-2.0-only
# Installing and packaging (packaging/README.md).  Included by the
# top-level Makefile.
#
#   make install [DESTDIR=] [PREFIX=/usr]   host programs, man pages, units,
#                       the DKMS source and the modprobe.d file
#   make install-host / install-guest       one half of it
#   make deb            enlighten-dkms and enlighten-host .debs into
#                       build/deb/ with dpkg-buildpackage, then lintian
#   make deb-check      make deb, lintian without errors, the packages'
#                       contents, and dkms builds the packaged source for
#                       every guest kernel (part of make test)
#   make deb-root-check both .debs installed with apt-get in a throwaway
#                       bookworm root (mmdebstrap): dkms builds the
#                       modules for every guest kernel; purge (~10 min)

PREFIX      ?= /usr
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
ENL_LIBEXEC ?= $(PREFIX)/lib/enlighten
MANDIR      ?= $(PREFIX)/share/man
DOCDIR      ?= $(PREFIX)/share/doc/enlighten-host
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR  ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
DKMS_SRCDIR ?= $(PREFIX)/src
# modprobe reads /etc/modprobe.d whatever the prefix
MODPROBEDIR ?= /etc/modprobe.d

PKG_DIR      := packaging
HOST_PROGS   := enl-host enl-icvsp enl-hidvsp enl-storvsp enl-netvsp enlctl
PKG_UNITS    := $(notdir $(wildcard $(PKG_DIR)/systemd/*.service))
PKG_MAN      := $(BUILD)/man
HELP2MAN     ?= help2man

# What each program is, for its man page's NAME line.
man_what_enl-host    := run a Linux guest that sees a Hyper-V host
man_what_enl-icvsp   := Hyper-V integration services daemon for an enl-host VM
man_what_enl-hidvsp  := synthetic mouse and keyboard daemon for an enl-host VM
man_what_enl-storvsp := synthetic SCSI controller daemon for an enl-host VM
man_what_enl-netvsp  := synthetic network adapter daemon for an enl-host VM
man_what_enlctl      := ask a running enl-host VM or its daemons

.PHONY: install install-host install-guest man deb deb-check deb-root-check dkms-src
dkms-src: $(DKMS_SRC)/dkms.conf

# Man pages are the programs' --help texts (help2man), so they match.
man: $(foreach p,$(HOST_PROGS),$(PKG_MAN)/$(p).1)

$(PKG_MAN)/%.1: $(BIN)/%
	@mkdir -p $(@D)
	$(HELP2MAN) -N --no-discard-stderr --version-string=$(DKMS_VERSION) \
		-n '$(man_what_$*)' -o $@ $<

install: install-host install-guest

install-host: host daemons man
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(ENL_LIBEXEC) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(SYSCONFDIR)/enlighten/vms $(DESTDIR)$(DOCDIR)/examples
	install -m 755 $(addprefix $(BIN)/,$(HOST_PROGS)) $(DESTDIR)$(BINDIR)/
	sed 's|/usr/bin/enlctl|$(BINDIR)/enlctl|' $(PKG_DIR)/enl-vm-stop > $(DESTDIR)$(ENL_LIBEXEC)/enl-vm-stop
	chmod 755 $(DESTDIR)$(ENL_LIBEXEC)/enl-vm-stop
	install -m 644 $(foreach p,$(HOST_PROGS),$(PKG_MAN)/$(p).1) $(DESTDIR)$(MANDIR)/man1/
	@# the units name the programs where this install puts them
	for u in $(PKG_UNITS); do \
		sed -e 's|/usr/bin/|$(BINDIR)/|g' -e 's|/usr/lib/enlighten/|$(ENL_LIBEXEC)/|g' \
		    -e 's|/etc/enlighten/|$(SYSCONFDIR)/enlighten/|g' \
			$(PKG_DIR)/systemd/$$u > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; \
		chmod 644 $(DESTDIR)$(SYSTEMDUNITDIR)/$$u; \
	done
	install -m 644 $(PKG_DIR)/example.conf $(DESTDIR)$(DOCDIR)/examples/vm.conf
	install -m 644 $(PKG_DIR)/README.md $(DESTDIR)$(DOCDIR)/README.md

install-guest: $(DKMS_SRC)/dkms.conf
	install -d $(DESTDIR)$(DKMS_SRCDIR) $(DESTDIR)$(MODPROBEDIR)
	rm -rf $(DESTDIR)$(DKMS_SRCDIR)/enlighten-$(DKMS_VERSION)
	cp -r $(DKMS_SRC) $(DESTDIR)$(DKMS_SRCDIR)/
	chmod -R u=rwX,go=rX $(DESTDIR)$(DKMS_SRCDIR)/enlighten-$(DKMS_VERSION)
	install -m 644 kernel/modprobe.d/enlighten.conf $(DESTDIR)$(MODPROBEDIR)/

# ---- Debian packages --------------------------------------------------------
# dpkg-buildpackage runs in a copy of the tracked files (build/deb/src), so
# its outputs (which it writes next to the source) stay under build/deb.
DEB_DIR := $(BUILD)/deb
DEB_SRC := $(DEB_DIR)/enlighten-$(DKMS_VERSION)

deb:
	@command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null && \
		command -v dh_dkms >/dev/null || \
		{ echo "deb: dpkg-buildpackage, debhelper or dh-dkms missing; run: make deps"; exit 1; }
	@rm -rf '$(DEB_DIR)'; mkdir -p '$(DEB_SRC)'
	@tar -C '$(TOP)' --exclude=./build --exclude=./.git -cf - . | tar -C '$(DEB_SRC)' -xf -
	@echo "  DEB     build/deb (log: build/deb/build.log)"
	@cd '$(DEB_SRC)' && dpkg-buildpackage -b -uc -us -j2 > ../build.log 2>&1 || \
		{ tail -n 40 '$(DEB_DIR)/build.log'; echo "deb: dpkg-buildpackage failed"; exit 1; }
	@ls '$(DEB_DIR)'/*.deb

deb-check: deb dkms-src
	@ENL_HEADERS_DIR=$(ENL_HEADERS_DIR) ENL_BUILD=$(abspath $(BUILD)) \
		$(TOP)/$(PKG_DIR)/deb-check.sh '$(DEB_DIR)' $(DKMS_VERSION) $(ENL_KRELS)

deb-root-check: deb
	@ENL_BUILD=$(abspath $(BUILD)) $(TOP)/$(PKG_DIR)/root-check.sh '$(DEB_DIR)' $(DKMS_VERSION) $(ENL_KRELS)
