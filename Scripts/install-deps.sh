#!/usr/bin/env bash
# Installs the Debian packages SwiftPose builds against, only those that are missing.
# Runs `apt-get update` first only when something must be installed. Idempotent.
set -euo pipefail
packages=(
  libdnnl-dev          # oneDNN 2.x: the compute engine (CDNNL)
  libturbojpeg0-dev    # libjpeg-turbo's TurboJPEG API: JPEG decode/encode (CTurboJPEG)
  libjpeg62-turbo-dev  # libjpeg-turbo's libjpeg API: decoding part of a JPEG (CJPEGRegion)
  libpng-dev           # libpng: PNG decode/encode (CPNG)
  libtcmalloc-minimal4 # optional fast allocator used by the benchmarks (LD_PRELOAD)
)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present (${packages[*]})"
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
