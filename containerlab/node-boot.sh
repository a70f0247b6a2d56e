#!/bin/sh
# lvsplay lab node boot: what a Debian host does at boot for the things lvsplay
# manages. One script for both lab flavours:
#   - containerlab: the image runs it before sshd (see Dockerfile);
#   - namespace lab: `lvsplay lab up` and `lvsplay lab restart NODE` run it
#     inside the host (after mounting its filesystem, before sshd and `exec`).
# Steps, in boot order:
#   0. nftables.service when enabled (`systemctl is-enabled`, which reads unit
#      files without systemd running): `nft -f /etc/nftables.conf`
#   1. netfilter-persistent when enabled (or when systemctl is missing):
#      `ipset restore` /etc/iptables/ipsets, then `iptables-restore`
#      /etc/iptables/rules.v4 (when non-empty)
#   2. sysctl --system, limited to net.* keys: those belong to the host's own
#      network namespace; kernel.*/vm.* keys would change the whole machine
#   3. firewalld when LVSPLAY_FIREWALLD=true: a private system dbus, then firewalld
#   4. every executable in /etc/lvsplay/boot.d/ (e.g. lvsplay's lo-VIP unit)
#   5. keepalived when /etc/keepalived/keepalived.conf exists AND the sysvinit
#      start link /etc/rc2.d/S??keepalived exists (`update-rc.d keepalived
#      enable|disable` is what turns it on or off, as on a sysvinit Debian)
# Exit status: 0 when every step that applied succeeded, 1 otherwise.
set -u
rc=0
fail() {
  echo "node-boot: $*" >&2
  rc=1
}

enabled() { ! command -v systemctl >/dev/null 2>&1 || systemctl is-enabled --quiet "$1" 2>/dev/null; }

if command -v systemctl >/dev/null 2>&1 && systemctl is-enabled --quiet nftables.service 2>/dev/null && [ -s /etc/nftables.conf ]; then
  nft -f /etc/nftables.conf || fail "nft -f /etc/nftables.conf failed"
fi

if enabled netfilter-persistent.service; then
  if [ -s /etc/iptables/ipsets ]; then
    ipset restore -exist </etc/iptables/ipsets || fail "ipset restore /etc/iptables/ipsets failed"
  fi
  if [ -s /etc/iptables/rules.v4 ]; then
    iptables-restore </etc/iptables/rules.v4 || fail "iptables-restore /etc/iptables/rules.v4 failed"
  fi
fi

for f in /usr/lib/sysctl.d/*.conf /run/sysctl.d/*.conf /etc/sysctl.d/*.conf /etc/sysctl.conf; do
  [ -f "$f" ] && grep -E '^[[:space:]]*-?net\.' "$f"
done | sysctl -q -e -p - >/dev/null || fail "sysctl (net.*) failed"

if [ "${LVSPLAY_FIREWALLD:-}" = true ]; then
  mkdir -p /run/dbus
  if [ ! -e /run/dbus/pid ]; then dbus-daemon --system --fork </dev/null >/dev/null 2>&1 || fail "dbus-daemon failed"; fi
  setsid firewalld --nofork </dev/null >>/var/log/firewalld-nofork.log 2>&1 &
  fwpid=$!
  # Wait as long as firewalld is alive and starting (Python under emulation can
  # take minutes); give up at once when it exits, or after 15 minutes (a hang).
  started=$(date +%s)
  until firewall-cmd --state >/dev/null 2>&1; do
    if ! kill -0 "$fwpid" 2>/dev/null; then
      fail "firewalld exited while starting: $(tail -n 5 /var/log/firewalld-nofork.log | tr '\n' ' ')"
      break
    fi
    if [ $(($(date +%s) - started)) -gt 900 ]; then
      fail "firewalld still not running after $(($(date +%s) - started)) s"
      break
    fi
    sleep 0.5
  done
fi

if [ -d /etc/lvsplay/boot.d ]; then
  for f in /etc/lvsplay/boot.d/*; do
    if [ -f "$f" ] && [ -x "$f" ]; then
      "$f" </dev/null >>/var/log/lvsplay-boot.log 2>&1 || fail "$f failed (see /var/log/lvsplay-boot.log)"
    fi
  done
fi

if [ -s /etc/keepalived/keepalived.conf ] && ls /etc/rc2.d/S??keepalived >/dev/null 2>&1; then
  service keepalived start </dev/null >>/var/log/lvsplay-boot.log 2>&1 || fail "keepalived did not start"
fi

exit "$rc"
