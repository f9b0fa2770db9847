#!/usr/bin/env bash
# test_install.sh - installs the built tree into a temporary prefix and builds
# examples/sweep.c against the installed copy with pkg-config, then runs it.
# usage: test_install.sh SOURCE_DIR BINARY_DIR
set -euo pipefail
src=$1
bin=$2
prefix=$(mktemp -d /tmp/odeon-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$bin" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib64/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig"
test -f "$prefix/include/odeon.h"
test -x "$prefix/bin/odeon"
"$prefix/bin/odeon" --version
flags=$(pkg-config --cflags --libs odeon)
cc -std=c11 -Wall -Wextra -Werror "$src/examples/sweep.c" $flags -o "$prefix/sweep"
libdir=$(pkg-config --variable=libdir odeon)
out=$(LD_LIBRARY_PATH="$libdir" "$prefix/sweep" "$src/examples/lorenz.ode")
echo "$out"
test "$(echo "$out" | grep -c 'status=0')" = 3
# the static library links too
cc -std=c11 "$src/examples/sweep.c" -I"$prefix/include" "$libdir/libodeon.a" \
  -lpthread -ldl -lm -o "$prefix/sweep-static"
"$prefix/sweep-static" "$src/examples/lorenz.ode" | grep -q 'rho=21'
echo "install test passed"
