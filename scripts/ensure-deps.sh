#!/usr/bin/env bash
# Installs what kassa needs on a Debian machine and is missing, idempotently:
#   postgres  the PostgreSQL server binaries (initdb, postgres)
#   chromium  headless Chromium for the browser tests
# Usage: scripts/ensure-deps.sh postgres [chromium]
set -euo pipefail

have_postgres() {
  command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1 && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1
}

have_chromium() {
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1
}

apt_updated=0
apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "ensure-deps: need root (or sudo) to install: $*" >&2; exit 1
    fi
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-deps: apt-get not found; install $* with your package manager" >&2; exit 1
  fi
  if [ "$apt_updated" -eq 0 ]; then
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    apt_updated=1
  fi
  echo "ensure-deps: installing $*" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

for dep in "$@"; do
  case "$dep" in
    postgres)
      have_postgres || apt_install postgresql postgresql-contrib
      # pgbench (the benchmark baseline) and psql come with the client package.
      command -v pgbench >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pgbench >/dev/null 2>&1 || apt_install postgresql-client
      ;;
    chromium)
      have_chromium || apt_install chromium fonts-dejavu-core
      ;;
    *) echo "ensure-deps: unknown dependency $dep" >&2; exit 2 ;;
  esac
done
