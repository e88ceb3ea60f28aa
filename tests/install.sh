#!/bin/bash
# make install into a temporary DESTDIR, then: the installed command runs a program under the
# installed library (not the build tree's), the header compiles against pkg-config's flags, the
# man pages are where man looks; make uninstall leaves no file behind.
set -u
build=$1
root=$(mktemp -d "${TMPDIR:-/tmp}/faultline-install.XXXXXX")
trap 'rm -rf "$root"' EXIT
fail() { echo "check-install: FAIL: $*"; exit 1; }
prefix=/usr/local

make --no-print-directory -s install DESTDIR="$root" PREFIX=$prefix B="$build" >/dev/null ||
    fail "make install"
for f in bin/faultline lib/libfaultline.so include/faultline.h lib/pkgconfig/faultline.pc \
         share/man/man1/faultline.1 share/man/man3/faultline.3 share/man/man5/faultline.conf.5; do
    [ -f "$root$prefix/$f" ] || fail "not installed: $prefix/$f"
done

# the installed command finds the installed library and breaks a program with it (under
# make check SANITIZE=..., behind the sanitizer runtime, which must come first)
export LD_PRELOAD="${FL_PRELOAD_FIRST:-}"
out=$(env -u FAULTLINE_LIBRARY "$root$prefix/bin/faultline" run -e 'calls=["read"]; fd="pipe"; error="EIO"' \
      -- sh -c 'printf %s "$LD_PRELOAD"' 2>&1)
[ "$out" = "${FL_PRELOAD_FIRST:+$FL_PRELOAD_FIRST:}$(realpath "$root$prefix/lib/libfaultline.so")" ] ||
    fail "the installed faultline preloads '$out', not the installed library"
msg=$(printf 'x\n' | "$root$prefix/bin/faultline" run -e 'calls=["read"]; error="EIO"' -- cat 2>&1)
case "$msg" in *"Input/output error"*) ;; *) fail "cat under the installed command said: $msg" ;; esac

# the header and pkg-config
flags=$(PKG_CONFIG_PATH="$root$prefix/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root" \
        pkg-config --cflags faultline) || fail "pkg-config --cflags faultline"
printf '#include <faultline.h>\nint main(void) { return faultline_pause == 0; }\n' > "$root/t.c"
cc $flags -c "$root/t.c" -o "$root/t.o" || fail "faultline.h does not compile with $flags"

unset LD_PRELOAD
make --no-print-directory -s uninstall DESTDIR="$root" PREFIX=$prefix B="$build" ||
    fail "make uninstall"
left=$(find "$root$prefix" -type f)
[ -z "$left" ] || fail "left after uninstall: $left"
echo "check-install: installed, ran a program through the installed command, uninstalled"
