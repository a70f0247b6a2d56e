#!/bin/sh
# Stand-in for `lvsplay lab up TOPOLOGY --state-dir DIR` inside the guest, used
# until the namespace lab is wired: one host "ds1" (netns, 7.7.7.11 on a bridge
# with 7.7.7.1) running sshd on port 22, plus the files the real lab writes
# (inventory.yaml, known_hosts, id_ed25519) in the same format.
set -eu
[ "$1 $2" = "lab up" ] && [ "$4" = "--state-dir" ] || { echo "usage: lab up TOPOLOGY --state-dir DIR" >&2; exit 2; }
dir=$5
mkdir -p "$dir" /run/sshd
cd "$dir"
ssh-keygen -q -t ed25519 -N '' -C fake-lab -f id_ed25519
ssh-keygen -q -t ed25519 -N '' -C fake-ds1 -f ssh_host_ed25519_key
cp id_ed25519.pub authorized_keys
ip netns add fake-ds1
ip link add fakelan type bridge
ip addr add 7.7.7.1/24 dev fakelan
ip link set fakelan up
ip link add p-ds1 type veth peer name eth1 netns fake-ds1
ip link set p-ds1 master fakelan up
ip -n fake-ds1 link set lo up
ip -n fake-ds1 addr add 7.7.7.11/24 dev eth1
ip -n fake-ds1 link set eth1 up
cat > sshd_config <<CONF
ListenAddress 7.7.7.11
HostKey $dir/ssh_host_ed25519_key
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
StrictModes no
UsePAM no
PidFile $dir/sshd.pid
CONF
# A private, empty /root like the real lab's hosts: the machine's /root/.bashrc
# (pyenv init) costs seconds per SSH command under emulation.
unshare --mount --propagation private sh -c \
  'mount -t tmpfs -o mode=0700 tmpfs /root && exec ip netns exec fake-ds1 /usr/sbin/sshd -f "$1"' sh "$dir/sshd_config"
echo "7.7.7.11 $(cut -d' ' -f1,2 ssh_host_ed25519_key.pub)" > known_hosts
cat > inventory.yaml <<INV
# fake lab inventory
defaults: { user: root, identity: ./id_ed25519, known_hosts: ./known_hosts, connect_timeout: 10 }
hosts:
  ds1: { address: 7.7.7.11, groups: [ directors ], interface: eth1 }
lvs:
  persistence: auto
  vrrp_only: true
  vrrp: { virtual_router_id: 51, order: [ ds1 ], advert_int: 1 }
  services:
    - { name: web, vip: 7.7.7.100, protocol: tcp, ports: [ 80 ], scheduler: rr, forwarding: dr }
INV
echo "fake lab up: topology $3"
