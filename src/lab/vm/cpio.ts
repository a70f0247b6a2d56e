// A minimal writer for the cpio "newc" format the kernel unpacks as an
// initramfs (there is no cpio binary on the machine). Deterministic: fixed
// mtimes and inode numbers, so equal inputs give equal bytes.

export type CpioEntry =
  | { readonly kind: "dir"; readonly path: string; readonly mode?: number }
  | { readonly kind: "file"; readonly path: string; readonly data: Buffer; readonly mode?: number }
  | { readonly kind: "symlink"; readonly path: string; readonly target: string }
  | { readonly kind: "chardev"; readonly path: string; readonly major: number; readonly minor: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function record(
  ino: number,
  name: string,
  mode: number,
  data: Buffer,
  rdev: [number, number] = [0, 0],
): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, "utf8");
  const header = Buffer.from(
    [
      "070701",
      hex8(ino),
      hex8(mode),
      hex8(0), // uid
      hex8(0), // gid
      hex8(mode & S_IFDIR ? 2 : 1), // nlink
      hex8(0), // mtime
      hex8(data.length),
      hex8(0), // devmajor
      hex8(0), // devminor
      hex8(rdev[0]),
      hex8(rdev[1]),
      hex8(nameBytes.length),
      hex8(0), // check
    ].join(""),
    "ascii",
  );
  const head = Buffer.concat([header, nameBytes]);
  return Buffer.concat([head, pad4(head.length), data, pad4(data.length)]);
}

/** The archive bytes (uncompressed); paths are relative, without a leading slash. */
export function buildCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const entry of entries) {
    const path = entry.path.replace(/^\/+/, "");
    switch (entry.kind) {
      case "dir":
        parts.push(record(ino++, path, S_IFDIR | (entry.mode ?? 0o755), Buffer.alloc(0)));
        break;
      case "file":
        parts.push(record(ino++, path, S_IFREG | (entry.mode ?? 0o644), entry.data));
        break;
      case "symlink":
        parts.push(record(ino++, path, S_IFLNK | 0o777, Buffer.from(entry.target, "utf8")));
        break;
      case "chardev":
        parts.push(record(ino++, path, S_IFCHR | 0o600, Buffer.alloc(0), [entry.major, entry.minor]));
        break;
    }
  }
  parts.push(record(0, "TRAILER!!!", 0, Buffer.alloc(0)));
  return Buffer.concat(parts);
}
