#!/usr/bin/env bash
# Installs what lvsplay's lab and tests need on a fresh Debian 12 machine (root).
# Idempotent and quick when everything is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  openssh-server openssh-client   # one sshd per lab host; ssh for `lab ssh`
  iproute2 iptables ipset ipvsadm # namespaces, veth, bridge; mark rules; IPVS admin
  keepalived                      # VRRP + IPVS health checks
  iptables-persistent netfilter-persistent  # rules.v4 persistence back-end
  firewalld dbus                  # firewalld persistence back-end (lab hosts with firewalld)
  nftables                        # nftables back-end (native nftables lab hosts); nft -c in the unit tests
  busybox-static                  # the lab hosts' tiny HTTP servers; the VM initramfs
  curl procps psmisc kmod util-linux sudo
  qemu-system-x86 cpio            # the real-IPVS tier (Debian's kernel under QEMU)
  tcpdump                         # data-plane captures
  time                            # GNU time: peak RSS in `npm run bench`
  systemd                         # systemd-analyze verify for the generated audit timer (test/audit)
  prometheus                      # promtool: checks and unit-tests alerting/ (test/alerting); ~19 MB, ~20 s
  ansible-core                    # ansible-inventory cross-checks the Ansible importer (test/ansible); ~1.3 MB, ~13 s
  zsh                             # `lvsplay completion zsh` is loaded in real zsh (test/cli); ~0.9 MB
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Package scripts must not start daemons on the machine itself: the lab starts its own.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The real-IPVS tier fetches Debian's kernel with `apt-get download`: it needs package lists.
if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
  apt-get update -qq
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run --silent build
