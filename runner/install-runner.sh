#!/bin/sh
# Installs the GitHub Actions runner into a Debian/Ubuntu or RHEL-family image:
# a non-root "runner" user (uid 1001) with passwordless sudo, the tools jobs
# expect, the runner in /home/runner/actions-runner (tarball checked against
# its SHA-256), its dependencies, and no package caches left behind.
# Inputs (environment): RUNNER_VERSION, RUNNER_SHA256_X64, RUNNER_SHA256_ARM64,
# RUNNER_DOWNLOAD_BASE (default GitHub's releases), TARGETARCH (amd64|arm64;
# empty = this machine's).
set -eu

fail() {
  echo "install-runner: $*" >&2
  exit 1
}

if [ -f /etc/alpine-release ] || ldd --version 2>&1 | grep -qi musl; then
  fail "this base image uses musl (Alpine); the GitHub Actions runner needs glibc. Use a Debian, Ubuntu or RHEL-family base."
fi

: "${RUNNER_VERSION:?install-runner: RUNNER_VERSION is required (build arg)}"
download_base="${RUNNER_DOWNLOAD_BASE:-https://github.com/actions/runner/releases/download}"
target="${TARGETARCH:-$(uname -m)}"
case "$target" in
  amd64 | x86_64) arch=x64; sha256="${RUNNER_SHA256_X64:-}" ;;
  arm64 | aarch64) arch=arm64; sha256="${RUNNER_SHA256_ARM64:-}" ;;
  *) fail "unsupported CPU architecture ${target}; the runner ships for amd64 (x64) and arm64" ;;
esac
[ -n "$sha256" ] || fail "no SHA-256 for the ${arch} tarball: pass --build-arg RUNNER_SHA256_$(echo "$arch" | tr '[:lower:]' '[:upper:]')=<hash from the release page>"

if command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends ca-certificates curl git jq unzip zip xz-utils zstd tar gzip \
    openssh-client python3 procps sudo lsb-release
  install_packages_done() { apt-get clean; rm -rf /var/lib/apt/lists/*; }
elif command -v dnf >/dev/null 2>&1; then
  dnf install -y --setopt=install_weak_deps=False ca-certificates curl-minimal git jq unzip zip xz zstd tar gzip \
    openssh-clients python3 procps-ng sudo shadow-utils || \
    dnf install -y ca-certificates curl git jq unzip zip xz zstd tar gzip openssh-clients python3 procps-ng sudo shadow-utils
  install_packages_done() { dnf clean all; rm -rf /var/cache/dnf; }
elif command -v yum >/dev/null 2>&1; then
  yum install -y ca-certificates curl git jq unzip zip xz zstd tar gzip openssh-clients python3 procps-ng sudo shadow-utils
  install_packages_done() { yum clean all; rm -rf /var/cache/yum; }
else
  fail "no apt-get, dnf or yum in this base image; the runner installs on Debian/Ubuntu and RHEL-family images"
fi

if ! id runner >/dev/null 2>&1; then
  useradd --create-home --uid 1001 --shell /bin/bash runner
fi
echo 'runner ALL=(ALL) NOPASSWD:ALL' > /etc/sudoers.d/runner
chmod 0440 /etc/sudoers.d/runner

dir=/home/runner/actions-runner
name="actions-runner-linux-${arch}-${RUNNER_VERSION}.tar.gz"
tarball="/tmp/${name}"
curl -fsSL --retry 3 -o "$tarball" "${download_base}/v${RUNNER_VERSION}/${name}" ||
  fail "could not download ${download_base}/v${RUNNER_VERSION}/${name}"
echo "${sha256}  ${tarball}" | sha256sum -c - || fail "the runner tarball does not match its SHA-256 (${sha256})"
mkdir -p "$dir"
tar -xzf "$tarball" -C "$dir"
rm -f "$tarball"
"$dir/bin/installdependencies.sh"
chown -R runner:runner /home/runner
install_packages_done
