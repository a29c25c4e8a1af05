#!/usr/bin/env bash
# Installs what redrund needs on Debian 12 (only what is missing) and fetches the
# Lua 5.4 sources from Debian's own source package, which the build compiles as a
# static library with a fixed string-hash seed and CC-style number formatting.
#
# Usage: deploy/bootstrap.sh            (idempotent; safe to run on every build)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
deps_dir="$top/.deps"

packages=(
  build-essential cmake pkg-config dpkg-dev
  libboost1.81-dev libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev catch2
  lua5.4 liblua5.4-dev
  python3 python3-websockets python3-jsonschema
  systemd  # systemd-analyze, for the deploy checks of deploy/redrund.service
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Lua sources: Debian's lua5.4 source package. deb-src entries are derived from the
# machine's own deb822 sources so no mirror is named here.
if [ ! -f "$deps_dir/lua/src/lua.h" ]; then
  if ! apt-get source --print-uris lua5.4 >/dev/null 2>&1; then
    for f in /etc/apt/sources.list.d/*.sources; do
      [ -f "$f" ] || continue
      case "$f" in *redrund-src*) continue ;; esac
      grep -q '^Types:.*deb-src' "$f" && continue
      out="/etc/apt/sources.list.d/redrund-src-$(basename "$f")"
      sed 's/^Types: deb$/Types: deb-src/' "$f" | as_root tee "$out" >/dev/null
    done
    if [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
      grep '^deb ' /etc/apt/sources.list | grep -v 'cloud.google\|nodesource' | sed 's/^deb /deb-src /' \
        | as_root tee /etc/apt/sources.list.d/redrund-src.list >/dev/null
    fi
    as_root apt-get update -qq
  fi
  rm -rf "$deps_dir/lua-src"
  mkdir -p "$deps_dir/lua-src"
  (cd "$deps_dir/lua-src" && apt-get source --download-only -qq lua5.4 && dpkg-source -x ./*.dsc unpacked >/dev/null)
  rm -rf "$deps_dir/lua"
  mv "$deps_dir/lua-src/unpacked" "$deps_dir/lua"
  rm -rf "$deps_dir/lua-src"
fi
echo "bootstrap: dependencies ready (Lua sources in .deps/lua)"
