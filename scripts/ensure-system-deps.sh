#!/usr/bin/env bash
# Installs the Debian packages the test suite needs when they are missing:
#   postgresql                -- the deployment store, started by the tests on a port of their own
#   chromium + chromium-driver -- the real browser of the end-to-end survey tests
#   libpangoft2-1.0-0         -- text layout for WeasyPrint's PDF reports
#   nginx                     -- the TLS reverse proxy of the deployment tests
#   r-base-core r-cran-lavaan r-cran-semtools -- R runs the exported lavaan scripts in the tests
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so' || need+=(libpangoft2-1.0-0)
{ command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; } || need+=(nginx)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v Rscript >/dev/null 2>&1 || need+=(r-base-core)
if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'library(lavaan)' >/dev/null 2>&1; then
    need+=(r-cran-lavaan)
fi
if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'library(semTools)' >/dev/null 2>&1; then
    need+=(r-cran-semtools)
fi

if [ "${#need[@]}" -eq 0 ]; then
    exit 0
fi

echo "Installing missing system packages: ${need[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "Need root (or sudo) to install: ${need[*]}" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
