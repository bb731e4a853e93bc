#!/usr/bin/env bash
# Installs every system dependency h2k needs, idempotently: Debian packages, then govc + vcsim
# 0.24.2 built offline from Debian's govmomi source package. Safe to run again: it skips what is
# already present. Tools land in $H2K_TOOLS_DIR (default ~/.cache/h2k/tools). With the argument
# `fixture-packages` it installs only what the guest fixture builders use (test/fixtures/) and stops,
# so .ci/run can start them while the rest is installed.
set -euo pipefail

TOOLS_DIR="${H2K_TOOLS_DIR:-$HOME/.cache/h2k/tools}"
APT_PACKAGES=(qemu-utils qemu-system-x86 libguestfs-tools guestfs-tools nbdkit
  ovmf mmdebstrap dpkg-dev linux-image-amd64 libvirt-clients libvirt-daemon-system libxml2-utils virt-v2v libnbd-bin fuse3 curl xz-utils openssl
  lvm2 xfsprogs libguestfs-xfs dosfstools gdisk fdisk zstd initramfs-tools-core lz4 bzip2 openssh-server openssh-client time postgresql
  ntfs-3g libwin-hivex-perl xorriso chromium)
GO_PACKAGES=(golang-go golang-github-vmware-govmomi-dev golang-github-davecgh-go-xdr-dev
  golang-github-kr-pretty-dev golang-github-vmware-vmw-guestinfo-dev golang-github-google-uuid-dev)

log() { printf 'setup: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing_packages() {
  local p
  for p in "$@"; do
    installed "$p" || printf '%s\n' "$p"
  done
}

install_packages() {
  local missing
  missing=$(missing_packages "$@")
  if [ -z "$missing" ]; then return 0; fi
  log "installing: $(echo $missing | tr '\n' ' ')"
  as_root apt-get update -qq
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive INITRD="$(host_initrd)" \
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# libguestfs boots its appliance from a Debian kernel package, whose postinst builds an initramfs to
# boot the host with (a minute of mkinitramfs, and again for the packages' triggers). A host that
# boots no kernel from /boot (a container; a VM given its kernel by the hypervisor: no bootloader
# installed and the running kernel not in /boot) would never use it, and supermin makes the
# appliance's own: there it is skipped (INITRD=No, read by /etc/kernel/postinst.d/initramfs-tools;
# without an initramfs the triggers find nothing to update).
host_initrd() {
  local loader
  for loader in grub-pc grub-efi-amd64 grub-efi-amd64-signed systemd-boot; do
    if installed "$loader"; then
      echo Yes
      return
    fi
  done
  if [ -e "/boot/vmlinuz-$(uname -r)" ]; then echo Yes; else echo No; fi
}

# What the fixture builders run on the host, and what libguestfs's appliance (assembled from the host's
# packages) needs in it for them; the appliance is assembled again when more packages come.
FIXTURE_PACKAGES=(qemu-utils qemu-system-x86 libguestfs-tools linux-image-amd64 mmdebstrap lvm2 xfsprogs
  libguestfs-xfs dosfstools gdisk fdisk zstd initramfs-tools-core btrfs-progs cryptsetup-bin)
if [ "${1:-}" = fixture-packages ]; then
  install_packages "${FIXTURE_PACKAGES[@]}"
  exit 0
fi
install_packages "${APT_PACKAGES[@]}"

build_govmomi() {
  if [ -x "$TOOLS_DIR/bin/govc" ] && [ -x "$TOOLS_DIR/bin/vcsim" ]; then
    log "govc + vcsim present in $TOOLS_DIR/bin"
    return 0
  fi
  install_packages "${GO_PACKAGES[@]}"
  local work mirror
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  # Reuse the mirror apt already uses, through a private sources dir: the system config is untouched.
  mirror=$( (cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null || true) \
    | grep -oE '^(URIs:|deb) +https?://[^ ]+/debian/?$' | head -n1 | awk '{print $2}' || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  mkdir -p "$work/lists/partial" "$work/etc" "$work/src"
  printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" > "$work/etc/src.sources"
  local opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/etc" -o "Dir::State::Lists=$work/lists")
  log "fetching Debian's golang-github-vmware-govmomi source"
  apt-get "${opts[@]}" update -qq
  (cd "$work/src" && apt-get "${opts[@]}" source --download-only -qq golang-github-vmware-govmomi >/dev/null)
  local gopath="$work/go" src="$work/go/src/github.com/vmware/govmomi"
  mkdir -p "$src"
  tar -xJf "$work"/src/golang-github-vmware-govmomi_*.orig.tar.xz -C "$src" --strip-components=1
  log "building govc + vcsim (about a minute)"
  mkdir -p "$TOOLS_DIR/bin"
  (cd "$src" && GOPATH="$gopath:/usr/share/gocode" GO111MODULE=off GOCACHE="$work/cache" GOFLAGS= \
    go build -o "$TOOLS_DIR/bin/govc" ./govc && \
    GOPATH="$gopath:/usr/share/gocode" GO111MODULE=off GOCACHE="$work/cache" GOFLAGS= \
    go build -o "$TOOLS_DIR/bin/vcsim" ./vcsim)
  log "govc: $("$TOOLS_DIR/bin/govc" version)"
}
build_govmomi

# HashiCorp's HCL from Debian (2.14) is the reference h2k's parser is tested against: its spec suite
# runner, and our oracle program (scripts/hcl-oracle) that prints what HCL makes of a file. The
# oracle is rebuilt whenever its source changes (the binary's name carries the source's hash).
build_hcl_reference() {
  install_packages golang-go golang-github-hashicorp-hcl-v2-dev
  local src_hash oracle
  src_hash=$(sha256sum "$(dirname "$0")/hcl-oracle/main.go" | cut -c1-12)
  oracle="$TOOLS_DIR/bin/hcl-oracle-$src_hash"
  if [ -x "$oracle" ] && [ -x "$TOOLS_DIR/bin/hclspecsuite" ]; then
    log "HCL reference tools present in $TOOLS_DIR/bin"
    return 0
  fi
  local work
  work=$(mktemp -d)
  trap 'rm -rf "$work"' RETURN
  mkdir -p "$TOOLS_DIR/bin"
  log "building HashiCorp's hclspecsuite and h2k's HCL oracle"
  rm -f "$TOOLS_DIR"/bin/hcl-oracle-*
  GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE="$work/cache" GOFLAGS= \
    go build -o "$TOOLS_DIR/bin/hclspecsuite" github.com/hashicorp/hcl/v2/cmd/hclspecsuite
  GOPATH=/usr/share/gocode GO111MODULE=off GOCACHE="$work/cache" GOFLAGS= \
    go build -o "$oracle" "$(dirname "$0")/hcl-oracle/main.go"
}
build_hcl_reference

log "done. Tools: $TOOLS_DIR/bin (h2k finds them there; or set H2K_TOOLS_DIR)"
