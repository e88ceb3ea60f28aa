# faultline — one non-recursive Makefile. `make V=1` shows full commands.
#   make            build/libfaultline.so
#   make check      unit tests and integration tests against real programs
#   make demo       faultline breaking a real program, and what it logged
#   make deps       install the Debian packages the build and tests need (as root)

VERSION   := 0.1.0
PREFIX    ?= /usr/local
LIBDIR    ?= $(PREFIX)/lib
BINDIR    ?= $(PREFIX)/bin
INCDIR    ?= $(PREFIX)/include
MANDIR    ?= $(PREFIX)/share/man
DESTDIR   ?=
B         := build

CC        ?= cc
CFLAGS    ?= -O2 -g
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
BASE      := -std=gnu11 -D_GNU_SOURCE -DFL_VERSION='"$(VERSION)"' -Ilib -Iinclude $(WARN) -MMD -MP
# -fno-builtin: gcc would turn the shim's own malloc+memset into calloc (PRELOAD.md).
# -fexceptions: an exception thrown by a program's signal handler during an injected delay runs
# the delay's cleanups (lib/action.c), as pthread_cancel does.
SHIM_CFLAGS := $(BASE) -fPIC -fvisibility=hidden -fno-builtin -fexceptions -ftls-model=initial-exec \
               $(CFLAGS)
# The shim (and the config reader wherever it is linked) does not link libconfig: it loads it
# privately with dlmopen, by the soname of libconfig-dev's libconfig.so (lib/libconfig_private.h).
# The command and the fuzz target also use libconfig directly, and link it.
LIBS_SHIM := -ldl -lpthread
LIBS_LIBCONFIG := $(shell pkg-config --libs libconfig 2>/dev/null || echo -lconfig)
LIBCONFIG_SO := $(shell $(CC) -print-file-name=libconfig.so)
LIBCONFIG_SONAME := $(or $(shell objdump -p $(LIBCONFIG_SO) 2>/dev/null | awk '$$1 == "SONAME" {print $$2}'),libconfig.so.9)
# Debian names the runtime package after the soname: libconfig.so.9 -> libconfig9.
LIBCONFIG_PKG := $(subst .so.,,$(LIBCONFIG_SONAME))
LIBCONFIG_DEFS := -DFL_LIBCONFIG_SONAME='"$(LIBCONFIG_SONAME)"' -DFL_LIBCONFIG_PACKAGE='"$(LIBCONFIG_PKG)"'
# The command reads JSON with json-c and hashes experiment files with nettle's SHA-256; the shim
# links neither.
CFLAGS_CLI := $(shell pkg-config --cflags json-c 2>/dev/null)
LIBS_CLI  := $(shell pkg-config --libs json-c 2>/dev/null || echo -ljson-c) \
             $(shell pkg-config --libs nettle 2>/dev/null || echo -lnettle) -lm
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)

# make check SANITIZE=address,undefined: the shim, unit tests and test programs built with the
# sanitizers, under build-san/; the integration tests preload the ASan runtime first.
ifneq ($(SANITIZE),)
B         := build-san
CFLAGS    += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer
LDFLAGS   += -fsanitize=$(SANITIZE)
export FL_PRELOAD_FIRST := $(if $(findstring address,$(SANITIZE)),$(shell $(CC) -print-file-name=libasan.so))
export ASAN_OPTIONS := detect_leaks=0:allocator_may_return_null=1
export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1
endif

ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

# Debian packages: what the build and the demo need (make demo installs these), and what the
# tests add: valgrind, the servers and tools the reach tests run, systemd-analyze (make deps
# and make check install both).
DEB_PKGS  := build-essential pkg-config libconfig-dev uthash-dev libjson-c-dev check python3 curl \
             sqlite3 nettle-dev
TEST_PKGS := mandoc man-db groff-base valgrind redis-server redis-tools nginx-light postgresql git strace systemd \
             procps lighttpd python3-yaml

# ---- the shim ----------------------------------------------------------------------------
# Modules that do not interpose anything: unit tests link these directly.
CORE      := calls config libconfig_private rules events_fmt fdtable epoch real ctlpath text safefile journal
SHIM_SRC  := $(wildcard lib/*.c)
SHIM_OBJ  := $(SHIM_SRC:lib/%.c=$(B)/lib/%.o)
CORE_OBJ  := $(CORE:%=$(B)/lib/%.o)

# The verbs and what they share, and the report writers of faultline experiment (cli/report/).
CLI_SRC   := $(wildcard cli/*.c cli/report/*.c)
all: $(B)/libfaultline.so $(if $(CLI_SRC),$(B)/faultline)
.PHONY: all check unit integration man-lint check-examples check-install demo demo-deps deps clean install uninstall bench bench-deps fuzz fuzz-deps

$(B)/lib/%.o: lib/%.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(SHIM_CFLAGS) -c $< -o $@

$(B)/lib/libconfig_private.o: SHIM_CFLAGS += $(LIBCONFIG_DEFS)

# The version script: the interposed names (a row each in lib/calls.def) and faultline_* are
# exported, nothing else (tests/integration/t_exports.sh checks).
$(B)/libfaultline.map: lib/exports.map.in lib/calls.def
	$(call say,GEN,$@)
	@mkdir -p $(@D)
	$(Q)$(CC) -E -P -x c -Ilib $< -o $@

$(B)/libfaultline.so: $(SHIM_OBJ) $(B)/libfaultline.map
	$(call say,LD,$@)
	$(Q)$(CC) -shared -Wl,-z,defs -Wl,-z,now -Wl,-z,relro \
		-Wl,--version-script=$(B)/libfaultline.map -o $@ $(SHIM_OBJ) $(LIBS_SHIM) $(LDFLAGS)

# ---- the command ---------------------------------------------------------------------------
CLI_OBJ   := $(CLI_SRC:cli/%.c=$(B)/cli/%.o)

$(B)/cli/%.o: cli/%.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE) -Icli -Icli/report -DFL_LIBDIR='"$(LIBDIR)"' $(CFLAGS_CLI) $(CFLAGS) -c $< -o $@

$(B)/faultline: $(CLI_OBJ) $(CORE_OBJ)
	$(call say,LD,$@)
	$(Q)$(CC) -o $@ $(CLI_OBJ) $(CORE_OBJ) $(LIBS_SHIM) $(LIBS_LIBCONFIG) $(LIBS_CLI) -lm $(LDFLAGS)

# The command's modules but its main, as an archive: a unit test links it after its own source
# and so pulls in only the modules it uses (tests/unit/check_stats.c: cli/stats.o).
CLI_LIB   := $(B)/cli/libcli.a
$(CLI_LIB): $(filter-out $(B)/cli/main.o,$(CLI_OBJ))
	$(call say,AR,$@)
	@rm -f $@
	$(Q)$(AR) rcs $@ $^

# ---- tests -------------------------------------------------------------------------------
UNIT_SRC  := $(wildcard tests/unit/check_*.c)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
HELPER_SRC := $(wildcard tests/programs/*.c)
HELPER_BIN := $(HELPER_SRC:tests/programs/%.c=$(B)/tests/programs/%)

$(B)/tests/check_%: tests/unit/check_%.c $(CORE_OBJ) $(CLI_LIB)
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(BASE) -Icli $(CFLAGS_CLI) $(CFLAGS) -o $@ $< $(CLI_LIB) $(CORE_OBJ) $(LIBS_SHIM) \
		-Wl,--as-needed $(LIBS_LIBCONFIG) $(LIBS_CLI) -lm -Wl,--no-as-needed $(CHECK_LIBS)

# Small programs the integration tests drive, built like a distribution would (fortified).
$(B)/tests/programs/%: tests/programs/%.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -O2 -D_FORTIFY_SOURCE=2 -Wall -Wextra -Werror $(CFLAGS) -o $@ $< -lpthread \
		$(HELPER_LDFLAGS)

# A host that exports libconfig's names, as lighttpd does (t_host_exports_libconfig.sh).
$(B)/tests/programs/own_config: HELPER_LDFLAGS := -rdynamic

unit: $(UNIT_BIN)
	@fail=0; for t in $(UNIT_BIN); do CK_FORK=yes $$t || fail=1; done; exit $$fail

integration: $(B)/libfaultline.so $(HELPER_BIN)
	@tests/integration/run.sh $(B)

# The man pages: mandoc's linter must have nothing to say, and man (groff, as a reader's
# terminal shows them) must render each at 80 columns without a warning.
man-lint:
	$(call say,LINT,man/)
	$(Q)mandoc -Tlint -W warning man/*.[0-9]
	$(Q)fail=0; for p in man/*.[0-9]; do \
	  w=$$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l $$p 2>&1 >/dev/null) || w="$$w (man failed)"; \
	  if [ -n "$$w" ]; then printf '%s: rendered at 80 columns:\n%s\n' $$p "$$w"; fail=1; fi; \
	done; exit $$fail

# Each example config must load: /bin/true under the shim, strict, exits 0 (one that tracks
# durability through faultline run, which keeps its journal).
check-examples: $(B)/libfaultline.so $(B)/faultline
	@for f in examples/*.conf; do \
	  printf '  %-6s %s\n' CONF $$f; \
	  shim="$(CURDIR)/$(B)/libfaultline.so" run=; \
	  grep -q '^ *durable *=' $$f && shim= run="$(B)/faultline run --"; \
	  out=$$(LD_PRELOAD="$(FL_PRELOAD_FIRST) $$shim" FAULTLINE_CONFIG=$$f FAULTLINE_STRICT=1 \
	    $$run /bin/true 2>&1) || { echo "$$out"; exit 1; }; \
	done

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory man-lint
	@$(MAKE) --no-print-directory check-examples
	@$(MAKE) --no-print-directory check-install
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory integration

demo: demo-deps
	@$(MAKE) --no-print-directory all
	@examples/demo/run.sh $(B)

# $(call need-packages,PACKAGES): install the missing Debian packages (as root), or print the
# apt-get line to run and fail.
need-packages = missing=""; \
	if command -v dpkg-query >/dev/null; then \
	  for p in $(1); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	  done; \
	fi; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
	  echo "deps: missing packages; run: sudo apt-get install$$missing"; exit 1; \
	fi

deps:
	@$(call need-packages,$(DEB_PKGS) $(TEST_PKGS))

demo-deps:
	@$(call need-packages,$(DEB_PKGS))

# What make bench compares against: libfiu's preload library (fiu-run -x); and the server it
# loads (redis-server under redis-benchmark).
BENCH_PKGS := fiu-utils redis-server redis-tools
bench-deps:
	@$(call need-packages,$(BENCH_PKGS))

# ---- install ------------------------------------------------------------------------------
PCFILE := $(B)/faultline.pc

$(PCFILE): Makefile
	@mkdir -p $(@D)
	@printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCDIR)' '' \
	  'Name: faultline' 'Description: failure injection for unmodified programs (LD_PRELOAD)' \
	  'Version: $(VERSION)' 'Libs: -L$${libdir} -lfaultline' 'Cflags: -I$${includedir}' > $@

install: all $(PCFILE)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(INCDIR) \
	  $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	  $(DESTDIR)$(MANDIR)/man5
	install -m 0755 $(B)/libfaultline.so $(DESTDIR)$(LIBDIR)/libfaultline.so
	install -m 0755 $(B)/faultline $(DESTDIR)$(BINDIR)/faultline
	install -m 0644 include/faultline.h $(DESTDIR)$(INCDIR)/faultline.h
	install -m 0644 $(PCFILE) $(DESTDIR)$(LIBDIR)/pkgconfig/faultline.pc
	install -m 0644 man/faultline.1 $(DESTDIR)$(MANDIR)/man1/faultline.1
	install -m 0644 man/faultline.3 $(DESTDIR)$(MANDIR)/man3/faultline.3
	install -m 0644 man/faultline.conf.5 $(DESTDIR)$(MANDIR)/man5/faultline.conf.5
	install -m 0644 man/faultline-experiment.5 $(DESTDIR)$(MANDIR)/man5/faultline-experiment.5

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libfaultline.so $(DESTDIR)$(BINDIR)/faultline \
	  $(DESTDIR)$(INCDIR)/faultline.h $(DESTDIR)$(LIBDIR)/pkgconfig/faultline.pc \
	  $(DESTDIR)$(MANDIR)/man1/faultline.1 $(DESTDIR)$(MANDIR)/man3/faultline.3 \
	  $(DESTDIR)$(MANDIR)/man5/faultline.conf.5 $(DESTDIR)$(MANDIR)/man5/faultline-experiment.5

# Install into a temporary DESTDIR, run a program through the installed command (which must find
# the installed library, not the build tree's), uninstall, and check nothing is left.
check-install: all
	@tests/install.sh $(B)

# ---- the shim under valgrind (not part of make check) --------------------------------------
# make check-valgrind: the integration tests that run the helper programs of tests/programs
# under the shim, with those programs (shim and all) under valgrind's memcheck: FL_VALGRIND=1,
# see under_shim in tests/integration/lib.sh. A memory error fails the test. A few minutes.
VALGRIND_TESTS = $(basename $(notdir $(shell grep -l FL_PROGS $$(grep -l under_shim tests/integration/t_*.sh))))
.PHONY: check-valgrind
check-valgrind: $(B)/libfaultline.so $(HELPER_BIN)
	@$(if $(SANITIZE),echo "check-valgrind: not with SANITIZE (valgrind and ASan exclude each other)"; exit 2)
	@command -v valgrind >/dev/null || { echo "check-valgrind: valgrind is missing (make deps)"; exit 2; }
	@FL_VALGRIND=1 FL_TEST_TIMEOUT=300 tests/integration/run.sh $(B) $(VALGRIND_TESTS)

# ---- benchmarks (not part of make check) ---------------------------------------------------
# The pass-through cost of the shim, bare vs preloaded: tests/bench/run.sh prints the table.
$(B)/tests/bench/bench: tests/bench/bench.c
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) -std=gnu11 -O2 -pthread -Wall -Wextra -Werror -o $@ $<

bench: bench-deps $(B)/libfaultline.so $(B)/tests/bench/bench
	@tests/bench/run.sh $(B)

# ---- transparency (not part of make check) ------------------------------------------------
# make check-transparency: CPython's own regression tests (socket, os, io, subprocess, asyncio,
# signal, threading and more; Debian's libpython3.X-testsuite) bare, under the shim with no
# rules, and under the shim with 70 dormant rules: every case that passes bare must pass under
# the shim (tests/transparency/run.sh prints the table). About 20 minutes on two cores.
TRANSP_PYVER := $(shell /usr/bin/python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo 3.11)
TRANSP_PKGS := python3 libpython$(TRANSP_PYVER)-testsuite
.PHONY: check-transparency transparency-deps
transparency-deps:
	@$(call need-packages,$(TRANSP_PKGS))

check-transparency: transparency-deps
	@$(MAKE) --no-print-directory all
	@tests/transparency/run.sh $(B)

# ---- fuzzing (not part of make check) ------------------------------------------------------
# make fuzz [FUZZ_SECONDS=N]: libFuzzer on the config reader (tests/fuzz/fuzz_config.c), built
# with clang and ASan + UBSan into build/fuzz/, for FUZZ_SECONDS from the committed seeds in
# tests/fuzz/corpus/ (only read) and what earlier runs found in build/fuzz/corpus/ (where new
# inputs go). A crashing input is saved as build/fuzz/crash-*; rerun it with
# build/fuzz/fuzz_config FILE. FUZZ_FLAGS adds libFuzzer options (-rss_limit_mb=4096 for a long
# run: libconfig's own small leaks on some syntax errors add up).
FUZZ_SECONDS ?= 60
FUZZ_FLAGS ?=
FUZZ_CC   ?= clang
FUZZ_PKGS := clang libclang-rt-dev
FUZZ_DIR  := build/fuzz
FUZZ_SRC  := tests/fuzz/fuzz_config.c lib/config.c lib/libconfig_private.c lib/calls.c lib/text.c \
             lib/safefile.c
fuzz-deps:
	@$(call need-packages,$(FUZZ_PKGS))

$(FUZZ_DIR)/fuzz_config: $(FUZZ_SRC) lib/config.h lib/libconfig_private.h lib/calls.h lib/calls.def \
                         lib/text.h lib/safefile.h
	$(call say,CC,$@)
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -Ilib $(WARN) -g -O1 -fno-omit-frame-pointer \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(LIBCONFIG_DEFS) \
		-o $@ $(FUZZ_SRC) $(LIBS_SHIM) $(LIBS_LIBCONFIG)

fuzz: fuzz-deps $(FUZZ_DIR)/fuzz_config
	@mkdir -p $(FUZZ_DIR)/corpus
	$(FUZZ_DIR)/fuzz_config -max_total_time=$(FUZZ_SECONDS) -dict=tests/fuzz/config.dict \
	  -artifact_prefix=$(FUZZ_DIR)/ -print_final_stats=1 $(FUZZ_FLAGS) $(FUZZ_DIR)/corpus \
	  tests/fuzz/corpus

clean:
	rm -rf $(B)

-include $(SHIM_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(REPORT_OBJ:.o=.d) $(UNIT_BIN:=.d)
