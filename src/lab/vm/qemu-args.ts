// The QEMU command line for the IPVS guest: software emulation (KVM cannot run
// a stock kernel here), the machine's / shared read-only, the state dir shared
// read-write, user networking with restrict=on and forwards bound to 127.0.0.1.
import { GUEST_ADDRESS } from "./init-script.js";

export const QEMU_BINARY = "qemu-system-x86_64";

/** Marker in QEMU's argv (-name) so we never signal a recycled PID that is not our guest. */
export const QEMU_NAME = "lvsplay-ipvs-guest";

export interface QemuLaunch {
  readonly vmlinuz: string;
  readonly initrd: string;
  readonly kernelVersion: string;
  readonly modulesDir: string;
  readonly stateDir: string;
  readonly consoleLog: string;
  readonly qmpSocket: string;
  readonly pidFile: string;
  readonly memoryMb: number;
  readonly cpus: number;
  /** TCG translation cache in MiB (QEMU's default is 1 GiB, most of the guest's RSS). */
  readonly tbSizeMb: number;
  /** Machine port on 127.0.0.1 → guest port. */
  readonly forwards: readonly { readonly hostPort: number; readonly guestPort: number }[];
}

export function kernelCommandLine(l: QemuLaunch): string {
  return [
    "console=ttyS0",
    "loglevel=4",
    // A panicking guest reboots, and -no-reboot turns that into QEMU exiting.
    "panic=-1",
    // Emulated CPUs pay dearly for speculation mitigations; this guest is a throwaway lab.
    "mitigations=off",
    `lvsplay_kver=${l.kernelVersion}`,
    `lvsplay_modules=${l.modulesDir}`,
    `lvsplay_state=${l.stateDir}`,
  ].join(" ");
}

export function qemuArgs(l: QemuLaunch): string[] {
  const hostfwd = l.forwards.map(
    (f) => `,hostfwd=tcp:127.0.0.1:${f.hostPort}-${GUEST_ADDRESS}:${f.guestPort}`,
  );
  return [
    "-name",
    QEMU_NAME,
    "-accel",
    `tcg,thread=multi,tb-size=${l.tbSizeMb}`,
    "-cpu",
    "max",
    "-m",
    String(l.memoryMb),
    "-smp",
    String(l.cpus),
    "-nodefaults",
    "-display",
    "none",
    "-vga",
    "none",
    "-no-reboot",
    "-serial",
    `file:${l.consoleLog}`,
    "-kernel",
    l.vmlinuz,
    "-initrd",
    l.initrd,
    "-append",
    kernelCommandLine(l),
    "-virtfs",
    "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap",
    "-virtfs",
    `local,path=${l.stateDir},mount_tag=statedir,security_model=none,multidevs=remap`,
    "-netdev",
    `user,id=n0,restrict=on${hostfwd.join("")}`,
    // romfile= skips the PXE option ROM: nothing boots from the network.
    "-device",
    "virtio-net-pci,netdev=n0,romfile=",
    "-qmp",
    `unix:${l.qmpSocket},server=on,wait=off`,
    "-pidfile",
    l.pidFile,
    "-daemonize",
  ];
}
