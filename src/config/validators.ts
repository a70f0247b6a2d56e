// Zod schemas for values that end up on a remote command line or in a config
// file. They are still quoted/escaped where used; validating them here means a
// bad value is reported at its YAML position instead of failing on a host.
import { isIPv4 } from "node:net";
import { z } from "zod";

const expected = (what: string) => ({ error: `expected ${what}` });

/** An integer in [min, max], with one message for every way it can be wrong. */
export const intRange = (min: number, max: number, what = `an integer ${min}-${max}`) => {
  const e = expected(what);
  return z.number(e).int(e).min(min, e).max(max, e);
};

export const HOST_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Inventory host, group and service names (letters, digits, ".", "_", "-"; no leading punctuation). */
export const hostName = z
  .string(expected("a name"))
  .regex(
    HOST_NAME_PATTERN,
    expected('a name of letters, digits, ".", "_" or "-" not starting with punctuation'),
  );

/** Linux interface name: 1-15 bytes, no "/", no whitespace, not "." or "..". */
export const interfaceName = z
  .string(expected("an interface name"))
  .regex(/^(?!\.{1,2}$)[^/\s]{1,15}$/, expected('an interface name (1-15 characters, no "/" or whitespace)'));

export const ipv4 = z.ipv4(expected("an IPv4 address like 192.0.2.10"));

/**
 * Where SSH connects: an IPv4 address, a DNS name or an ssh_config Host alias
 * (letters, digits, ".", "_", "-"; at most 253 characters like a DNS name).
 */
export const sshAddress = z
  .string(expected("an IPv4 address or a host name"))
  .regex(
    /^(?=.{1,253}$)[A-Za-z0-9][A-Za-z0-9._-]*$/,
    expected('an IPv4 address or a host name (letters, digits, ".", "_", "-")'),
  )
  // Only digits and dots is meant as an address: "10.0.0.300" must not become a DNS lookup.
  .refine((v) => !/^[0-9.]+$/.test(v) || isIPv4(v), expected("an IPv4 address like 192.0.2.10"));

export const mac = z.mac(expected('a MAC address like "52:54:00:12:34:56" (quote it in YAML)'));

export const port = intRange(1, 65535);

/** A variable/register identifier usable in `{{ name }}` templates. */
export const identifier = z
  .string(expected("an identifier"))
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    expected("an identifier (letters, digits, _; not starting with a digit)"),
  );

/** A file path; "~" and relative paths are resolved by the loader. */
export const filePath = z.string(expected("a file path")).min(1, expected("a non-empty file path"));
