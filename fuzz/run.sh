#!/bin/sh
# run.sh SECONDS [JOBS] - build the model-language fuzzer with clang
# (libFuzzer + AddressSanitizer + UndefinedBehaviorSanitizer) and run it for
# SECONDS on the seeds and the regression corpus. New inputs go to a scratch
# corpus under build-fuzz/ (the repository's corpus only changes by hand:
# copy interesting finds into fuzz/corpus/). Exits non-zero on any crash,
# leak, sanitizer report or timeout; the reproducer is left in build-fuzz/.
set -eu
seconds=${1:?usage: fuzz/run.sh SECONDS [JOBS]}
jobs=${2:-1}
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out=${ODEON_FUZZ_DIR:-$root/build-fuzz}
mkdir -p "$out/work"
cc=${CLANG:-clang}
$cc -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=all -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
  -I"$root/include" -I"$root/src" \
  "$here/fuzz_model.c" "$root"/src/model/*.c "$root/src/codegen/system.c" \
  "$root/src/util/error.c" "$root/src/util/strbuf.c" -lm \
  -o "$out/fuzz_model"
echo "fuzz: running for $seconds s ($jobs job(s)); scratch corpus $out/work"
# -rss_limit_mb and -timeout turn runaway inputs into reported failures.
# With several jobs libFuzzer writes fuzz-N.log into the current directory:
# run from the scratch directory so that nothing lands in the source tree.
cd "$out"
set -- -max_total_time="$seconds" -max_len=4096 -timeout=10 \
  -rss_limit_mb=2048 -dict="$here/model.dict" -artifact_prefix="$out/" \
  -print_final_stats=1
if [ "$jobs" -gt 1 ]; then
  set -- "$@" -jobs="$jobs" -workers="$jobs"
fi
"$out/fuzz_model" "$@" "$out/work" "$here/seeds" "$here/corpus"
