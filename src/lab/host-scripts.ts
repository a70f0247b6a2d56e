// Shell run inside a namespace host. Kept as constants (not files) so the
// compiled CLI needs nothing beside dist/ except containerlab/node-boot.sh.
// Parameters arrive as environment variables, never spliced into the text.

/**
 * The host's PID 1. bash reaps every child it inherits (orphaned daemons are
 * re-parented to it) from its SIGCHLD handler; SIGTERM ends it, and the kernel
 * then kills everything else in the host's PID namespace.
 */
export const INIT_SCRIPT = 'trap "exit 0" TERM INT; while :; do sleep 3600 & wait $!; done';

/**
 * Boot-time filesystem and identity (runs in all the host's namespaces):
 * overlays on /etc /usr /var with per-host upper dirs under $LAB_DIR (kept across
 * `lab restart`), tmpfs /run and /tmp, sysfs for the host's netns, a private /root
 * seeded from base-files (the machine's .bashrc runs pyenv, slowing every SSH
 * command), its own hostname, lo up, and sshd's config + own ed25519 host key.
 * /tmp is mounted last: $LAB_DIR may live under the machine's /tmp.
 */
export const SETUP_SCRIPT = `set -eu
H="$LAB_DIR"
for d in etc usr var; do
  mkdir -p "$H/upper/$d" "$H/work/$d"
  mount -t overlay overlay -o "lowerdir=/$d,upperdir=$H/upper/$d,workdir=$H/work/$d" "/$d"
done
mount -t tmpfs -o mode=755 tmpfs /run
mount -t sysfs sysfs /sys
if [ ! -e "$H/root/.profile" ]; then
  mkdir -p "$H/root"
  chmod 700 "$H/root"
  cp /usr/share/base-files/dot.bashrc "$H/root/.bashrc"
  cp /usr/share/base-files/dot.profile "$H/root/.profile"
fi
mount --bind "$H/root" /root
mount -t tmpfs -o mode=1777 tmpfs /tmp
hostname "$LAB_HOST"
echo "$LAB_HOST" >/etc/hostname
ip link set lo up
mkdir -p /run/sshd /var/log /root/.ssh
chmod 700 /root/.ssh
printf '%s\\n' "$LAB_AUTHORIZED_KEY" >/root/.ssh/authorized_keys
chmod 600 /root/.ssh/authorized_keys
touch /var/log/lastlog /var/log/wtmp /var/log/btmp
chmod 600 /var/log/btmp
if [ ! -e /etc/ssh/.lvsplay-lab-host-key ]; then
  rm -f /etc/ssh/ssh_host_*
  ssh-keygen -q -t ed25519 -N '' -C "root@$LAB_HOST" -f /etc/ssh/ssh_host_ed25519_key
  touch /etc/ssh/.lvsplay-lab-host-key
fi
cat >/etc/ssh/lvsplay-lab-sshd_config <<EOF
# written by lvsplay lab: key-only root login on the data-plane address
ListenAddress $LAB_ADDRESS
AddressFamily inet
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AuthorizedKeysFile .ssh/authorized_keys
UsePAM yes
UseDNS no
PrintMotd no
AcceptEnv LANG LC_*
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
`;

/** The mounts SETUP_SCRIPT makes, for the state record. */
export const HOST_MOUNTS = ["/etc", "/usr", "/var", "/run", "/sys", "/root", "/tmp"];

/**
 * sshd in the foreground, detached from our pipes (the host's PID 1 adopts it).
 * The script returns once sshd wrote its pid file — which it does after binding
 * its listening socket — and fails at once with sshd's log when sshd exits
 * first. No time limit of its own: under emulation sshd may need a minute.
 */
export const START_SSHD_SCRIPT = `log=/var/log/lvsplay-lab-sshd.log
rm -f /run/sshd.pid
setsid /usr/sbin/sshd -D -e -f /etc/ssh/lvsplay-lab-sshd_config </dev/null >>"$log" 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  [ -s /run/sshd.pid ] && exit 0
  sleep 0.1
done
echo "sshd exited before listening; its log:" >&2
tail -n 20 "$log" >&2
exit 1
`;

/**
 * Makes a node a native nftables host, once (its /etc is kept across restarts):
 * netfilter-persistent disabled, nftables.service enabled (node-boot then runs
 * `nft -f /etc/nftables.conf`, the distribution's stock file with its
 * `flush ruleset`), no iptables save files.
 */
export const NFTABLES_HOST_SCRIPT = `set -eu
if [ ! -e /etc/.lvsplay-lab-nftables ]; then
  systemctl disable netfilter-persistent.service >/dev/null 2>&1 || true
  rm -f /etc/iptables/rules.v4 /etc/iptables/rules.v6 /etc/iptables/ipsets
  systemctl enable nftables.service >/dev/null 2>&1
  touch /etc/.lvsplay-lab-nftables
fi
`;
