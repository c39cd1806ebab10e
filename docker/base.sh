#!/usr/bin/env bash
# Builds the local images that stand in for pulled ones, for machines without a registry (the
# compose test here). Idempotent: an image that exists is kept (BASE_REBUILD=1 rebuilds them).
#   local/debian:bookworm  debootstrap --variant=minbase of Debian 12, imported (needs root and
#                          debootstrap, installed with apt-get when missing; stands in for
#                          debian:bookworm-slim)
#   local/rust:bookworm    the base + gcc + the host's Rust toolchain (stands in for rust:1-slim-bookworm)
#   local/tansu:0.6.0      the base + the host's tansu binary (stands in for apache/kafka)
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"

BASE_IMAGE=${BASE_IMAGE:-local/debian:bookworm}
RUST_IMAGE=${RUST_IMAGE:-local/rust:bookworm}
TANSU_IMAGE=${TANSU_IMAGE:-local/tansu:$TANSU_VERSION}
docker_dir="$PIPELINE_ROOT/docker"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

missing() { [ "${BASE_REBUILD:-0}" = 1 ] || ! docker image inspect "$1" >/dev/null 2>&1; }

if missing "$BASE_IMAGE"; then
  if ! command -v debootstrap >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "base.sh: installing debootstrap..." >&2
    apt-get install -y -qq debootstrap >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq debootstrap >/dev/null; }
  fi
  command -v debootstrap >/dev/null || { echo "base.sh: needs debootstrap (apt-get install debootstrap)" >&2; exit 2; }
  echo "base.sh: debootstrapping Debian bookworm into $BASE_IMAGE (about a minute)..." >&2
  debootstrap --variant=minbase bookworm "$tmp/rootfs" http://deb.debian.org/debian >"$tmp/debootstrap.log" 2>&1 \
    || { tail -20 "$tmp/debootstrap.log" >&2; exit 1; }
  rm -rf "$tmp/rootfs/var/lib/apt/lists/"* "$tmp/rootfs/var/cache/apt/"*.bin
  tar -C "$tmp/rootfs" -c . | docker import -c 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$tmp/rootfs"
fi

if missing "$RUST_IMAGE"; then
  echo "base.sh: building $RUST_IMAGE from the host's Rust toolchain..." >&2
  sysroot=$(rustc --print sysroot)
  ctx="$tmp/rust"
  mkdir -p "$ctx/toolchain/bin" "$ctx/toolchain/lib/rustlib" "$ctx/ca"
  cp -a "$sysroot/bin/rustc" "$sysroot/bin/cargo" "$ctx/toolchain/bin/"
  cp -a "$sysroot"/lib/*.so* "$ctx/toolchain/lib/"
  cp -a "$sysroot/lib/rustlib/x86_64-unknown-linux-gnu" "$ctx/toolchain/lib/rustlib/"
  cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
  docker build -q -f "$docker_dir/builder-local.Dockerfile" --build-arg BASE_IMAGE="$BASE_IMAGE" \
    -t "$RUST_IMAGE" "$ctx" >/dev/null 2>"$tmp/build.log" || { cat "$tmp/build.log" >&2; exit 1; }
fi

if missing "$TANSU_IMAGE"; then
  tansu --version 2>/dev/null | grep -q "$TANSU_VERSION" \
    || { echo "base.sh: tansu $TANSU_VERSION is not installed: run scripts/install.sh first" >&2; exit 2; }
  echo "base.sh: building $TANSU_IMAGE from $(command -v tansu)..." >&2
  mkdir -p "$tmp/tansu" && cp "$(command -v tansu)" "$tmp/tansu/tansu"
  docker build -q -f "$docker_dir/tansu.Dockerfile" --build-arg BASE_IMAGE="$BASE_IMAGE" \
    -t "$TANSU_IMAGE" "$tmp/tansu" >/dev/null 2>"$tmp/build.log" || { cat "$tmp/build.log" >&2; exit 1; }
fi
echo "$BASE_IMAGE $RUST_IMAGE $TANSU_IMAGE"
