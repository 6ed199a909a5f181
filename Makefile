# SPDX-License-Identifier: GPL-2.0-only
#
# dm-forkmirror top-level Makefile.
#
#   make            both kernel modules (one Kbuild pass) and the tools
#   make deps       install, with apt, everything build, tests, demo need
#   make build-deps only what building and installing on a server needs
#                   (gcc, make, pkg-config, libdevmapper-dev, libjson-c-dev,
#                   the running kernel's headers)
#   make lint       checkpatch --strict, sparse (C=2), W=1; fails on findings
#   make check      deps, lint, then every test in QEMU guests (the CI command)
#   make check-long the guest cases `make check` leaves out for CI's time
#                   (`#@ long:` in the case: the DKMS package install),
#                   on the stock kernel
#   make check-debug  every guest case on the debug kernel (KASAN, lockdep,
#                   kmemleak), not only its CI subset: about 3 hours
#   make demo       deps, then the demonstration in a QEMU guest
#   make bench      deps, then the performance benchmark in a QEMU guest
#   make bench-long deps, then BENCH_ROUNDS rounds (default 30) of the
#                   benchmark's goal rows (BENCH_SECTIONS, default
#                   tracking,qd1,qd32): about 85 minutes
#   make crash      deps, then the crash campaign (CRASH_RUNS=N, default 10)
#   make unit       host unit tests (KUnit suites of the pure code, ASan)
#   make fuzz       the store-image fuzzer; FUZZ_RUNS=N (default 1000000)
#   make deb        build-deps, then the Debian packages (DKMS sources, the
#                   tool) into .build/deb
#   make install    the modules into /lib/modules/<KDIR's release>/updates,
#                   then depmod; the forkmirror command and its man page
#                   (PREFIX=/usr/local; DESTDIR for staging, no depmod)
#   make uninstall  removes what make install put in place (for the
#                   running kernel, or KDIR's), then depmod
#
# KDIR selects the kernel build tree. Default: the running kernel's build
# dir when it exists, else the installed Debian linux-headers-*-amd64 that
# matches an installed linux-image-*-amd64 (same ABI: what the tests boot).
# `make install` into the system (no DESTDIR) refuses that fallback: the
# modules would go to another kernel's tree than the running one's.

TOP := $(CURDIR)

ifeq ($(origin KDIR),undefined)
  ifneq ($(wildcard /lib/modules/$(shell uname -r)/build/Makefile),)
    KDIR := /lib/modules/$(shell uname -r)/build
  else
    KDIR = /usr/src/linux-headers-$(shell sh $(TOP)/scripts/stock-kver.sh)
    KDIR_FALLBACK := 1
  endif
endif
export KDIR

all: modules tools

modules:
	$(MAKE) -C $(KDIR) M=$(TOP) modules

tools:
	$(MAKE) -C tools

# The release the tree's modules carry in vermagic (Debian's header trees
# report another string in include/config/kernel.release).
KREL = $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h)

install: install-check modules tools
	$(MAKE) -C $(KDIR) M=$(TOP) KERNELRELEASE=$(KREL) INSTALL_MOD_DIR=updates \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) DEPMOD=true CONFIG_MODULE_SIG_ALL= \
		modules_install
	$(MAKE) -C tools install
	$(if $(DESTDIR),,depmod -a $(KREL))

# The release uninstall removes from: the running kernel's, unless KDIR
# names a tree.
UNINSTALL_KREL = $(if $(KDIR_FALLBACK),$(shell uname -r),$(KREL))

uninstall:
	rm -f $(addprefix $(DESTDIR)/lib/modules/$(UNINSTALL_KREL)/updates/, \
		$(foreach m,dm-forkmirror forkmirror-tracker,$(m).ko $(m).ko.xz $(m).ko.zst $(m).ko.gz))
	$(MAKE) -C tools uninstall
	$(if $(DESTDIR),,depmod -a $(UNINSTALL_KREL))

install-check:
	$(if $(and $(KDIR_FALLBACK),$(if $(DESTDIR),,1)),$(error make install: no \
	headers of the running kernel $(shell uname -r) (/lib/modules/$(shell uname -r)/build): \
	install them (sudo make build-deps, or apt install linux-headers-$(shell uname -r)), \
	or name a tree with KDIR=))

deps:
	sh scripts/install-deps.sh

build-deps:
	sh scripts/install-deps.sh --build

lint: deps
	bash scripts/lint.sh

# The tests and the demo run the deps target first themselves: on a fresh
# machine nothing else is typed before them.
check: deps
	$(MAKE) lint
	bash tests/run-all.sh $(CASES)

# run-all.sh given no names runs every case: with no long case, say so.
check-long: deps
	@long=$$(python3 tests/lib/runner.py --list-long --cases-dir tests/cases) && \
	if [ -z "$$long" ]; then echo "check-long: no case is marked '#@ long:'"; \
	else FM_KERNELS=stock bash tests/run-all.sh $$long; fi

check-debug: deps
	FM_KERNELS=debug FM_DEBUG_SUBSET=all bash tests/run-all.sh $(CASES)

demo: deps
	bash tests/run-demo.sh

bench: deps
	bash tests/run-demo.sh bench bench
	bash tests/run-demo.sh bench bench-resync

BENCH_ROUNDS ?= 30
BENCH_SECTIONS ?= tracking,qd1,qd32
bench-long: deps
	bash tests/run-demo.sh bench bench \
		--append "fm.rounds=$(BENCH_ROUNDS) fm.bench=$(BENCH_SECTIONS)" \
		--timeout-scale $$(( $(BENCH_ROUNDS) / 4 + 1 ))

crash: deps
	bash tests/run-crash.sh

unit: deps
	$(MAKE) -C tests/host run

FUZZ_RUNS ?= 1000000
fuzz: deps
	$(MAKE) -C tests/fuzz run RUNS=$(FUZZ_RUNS)

deb: build-deps
	bash scripts/build-debs.sh

clean:
	$(MAKE) -C $(KDIR) M=$(TOP) clean || true
	$(MAKE) -C tests/host clean
	$(MAKE) -C tests/fuzz clean
	$(MAKE) -C tools clean
	rm -rf .build tests/.work

.PHONY: all modules tools install uninstall install-check deps build-deps lint check check-long check-debug demo bench bench-long crash unit fuzz deb clean
