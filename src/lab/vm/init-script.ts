// The /init of the guest's initramfs (busybox ash). It is generic: per-run
// values arrive as kernel command-line parameters, which the kernel hands to
// init as environment variables (lvsplay_kver, lvsplay_modules, lvsplay_state).

export const GUEST_ADDRESS = "10.0.2.15";
export const GUEST_GATEWAY = "10.0.2.2";

/** 9p mount options; msize is the largest the virtio transport of this kernel accepts. */
const P9 = "trans=virtio,version=9p2000.L,msize=512000";

export const INIT_SCRIPT = `#!/bin/sh
# lvsplay guest init: load the virtio/9p/overlay modules, build the root from
# the machine's own / (read-only over 9p) plus a tmpfs overlay, then hand over
# to busybox init with the inittab the host wrote into the state share.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
/bin/busybox mkdir -p /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
log() { echo "lvsplay-init: $*"; }
fail() { log "FATAL: $*"; poweroff -f; sleep 5; }

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
[ -n "$lvsplay_state" ] && [ -n "$lvsplay_modules" ] && [ -n "$lvsplay_kver" ] || fail "missing lvsplay_* boot parameters"

while read -r module; do
  insmod "/modules/$module" || log "insmod $module failed"
done < /modules/order

mkdir -p /lower /rw /newroot
# The virtio devices may still be probing right after insmod, which under
# emulation on a busy machine can take long: retry, say what we wait for every
# 10 s, give up only after 5 min (a hang guard: 9p that never mounts).
tries=0
until err=$(mount -t 9p -o ${P9},ro,cache=\${lvsplay_rootcache:-loose} hostroot /lower 2>&1); do
  tries=$((tries + 1))
  [ "$tries" -lt 3000 ] || fail "cannot mount the host root over 9p (tried for 5 min): $err"
  [ $((tries % 100)) -eq 0 ] && log "still waiting for the 9p device to mount the host root ($((tries / 10)) s)"
  sleep 0.1
done
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || fail "overlay mount"

# Fresh kernel filesystems; /run must not show the machine's own pid files and netns.
mount -t proc proc /newroot/proc
mount -t sysfs sysfs /newroot/sys
mount -t devtmpfs devtmpfs /newroot/dev
mkdir -p /newroot/dev/pts /newroot/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /newroot/dev/pts
mount -t tmpfs tmpfs /newroot/dev/shm
mount -t tmpfs -o mode=0755 tmpfs /newroot/run

mkdir -p "/newroot/lib/modules/$lvsplay_kver"
mount -o bind "/newroot$lvsplay_modules" "/newroot/lib/modules/$lvsplay_kver" || fail "bind modules"
mkdir -p "/newroot$lvsplay_state"
mount -t 9p -o ${P9},cache=none statedir "/newroot$lvsplay_state" || fail "cannot mount the state share"

hostname lvsplay-vm
ip link set lo up
ip link set eth0 up
ip addr add ${GUEST_ADDRESS}/24 dev eth0
ip route add default via ${GUEST_GATEWAY}

cp "/newroot$lvsplay_state/vm/inittab" /newroot/etc/inittab || fail "no inittab in the state share"
umount /proc /sys /dev
log "root ready, starting init"
exec switch_root /newroot /bin/busybox init
`;
