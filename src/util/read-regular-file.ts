// Reads a local file that must be a regular file of bounded size. A path that
// names a FIFO, a device or a socket would block a plain read forever (a FIFO
// waits for a writer) or never end (/dev/zero): it is opened non-blocking,
// checked with fstat on the open descriptor (so a symlink swap cannot slip
// past), and read up to the limit only.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from "node:fs";

export class FileReadError extends Error {
  override readonly name = "FileReadError";
  constructor(
    message: string,
    /** ENOENT when the file does not exist (callers may treat that as "empty"). */
    readonly code: string,
  ) {
    super(message);
  }
}

const kindOf = (stat: Stats): string => {
  if (stat.isDirectory()) return "a directory";
  if (stat.isFIFO()) return "a named pipe (FIFO)";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
};

const reasonOf = (error: NodeJS.ErrnoException): string => {
  switch (error.code) {
    case "ENOENT":
      return "file not found";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "ENXIO":
      return "a socket or a device without a reader";
    case "ELOOP":
      return "too many symbolic links";
    case "ENAMETOOLONG":
      return "path too long";
    default:
      return error.code ?? error.message;
  }
};

/** Limits for files lvsplay reads on this machine (README, "Limits"). */
export const FILE_LIMITS = {
  /** A private key (a 16384-bit RSA key is ~12 KiB). */
  identity: 256 * 1024,
  /** A .pub file beside it. */
  publicKey: 64 * 1024,
  /** known_hosts: a big fleet's file is a few MiB. */
  knownHosts: 32 * 1024 * 1024,
  /** ssh_config and each file it includes. */
  sshConfig: 4 * 1024 * 1024,
} as const;

/** The file's bytes; throws FileReadError (with a short reason) for anything but a regular file ≤ maxBytes. */
export function readRegularFile(file: string, maxBytes: number): Buffer {
  if (file.includes("\0")) throw new FileReadError("path contains a NUL byte", "EINVAL");
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    throw new FileReadError(reasonOf(e), e.code ?? "EIO");
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new FileReadError(`${kindOf(stat)}, expected a regular file`, "ENOTREG");
    if (stat.size > maxBytes) throw new FileReadError(tooBig(stat.size, maxBytes), "EFBIG");
    // Read to the end but never past the limit (the file may grow while we read).
    const buffer = Buffer.allocUnsafe(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length === buffer.length) break;
    }
    if (length > maxBytes) throw new FileReadError(tooBig(length, maxBytes), "EFBIG");
    return buffer.subarray(0, length);
  } catch (error) {
    if (error instanceof FileReadError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new FileReadError(
      e.code === "EISDIR" ? "a directory, expected a regular file" : reasonOf(e),
      e.code ?? "EIO",
    );
  } finally {
    closeSync(fd);
  }
}

const tooBig = (size: number, max: number): string =>
  `${size} bytes, larger than the limit of ${max >= 1024 * 1024 ? `${max / (1024 * 1024)} MiB` : `${max / 1024} KiB`}`;
