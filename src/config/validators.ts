// Zod schemas for values that end up on a remote command line or in a config
// file. They are still quoted/escaped where used; validating them here means a
// bad value is reported at its YAML position instead of failing on a host.
import { z } from "zod";
import { type Charset, charsetMessage, INTERFACE, IPV4, LOCAL_PATH, NAME, SSH_HOST } from "./charsets.js";

const expected = (what: string) => ({ error: `expected ${what}` });

/** An integer in [min, max], with one message for every way it can be wrong. */
export const intRange = (min: number, max: number, what = `an integer ${min}-${max}`) => {
  const e = expected(what);
  return z.number(e).int(e).min(min, e).max(max, e);
};

/**
 * A string in one of the character sets of charsets.ts: one issue saying what
 * is allowed and which character is not (the value itself is appended by
 * zod-problems, hidden for secrets).
 */
export const inCharset = (charset: Charset) =>
  z.string(expected(charset.what)).superRefine((value, ctx) => {
    const message = charsetMessage(charset, value);
    if (message !== undefined) ctx.addIssue({ code: "custom", message, input: value });
  });

/** Inventory host, group and service names. */
export const hostName = inCharset(NAME);

/** Linux interface name, restricted to what every renderer takes as one word. */
export const interfaceName = inCharset(INTERFACE);

export const ipv4 = z.ipv4(expected("an IPv4 address like 192.0.2.10"));

/**
 * Where SSH connects: an IPv4 address, a DNS name or an ssh_config Host alias.
 * Only digits and dots is meant as an address, and told so ("10.0.0.300" must
 * not become a DNS lookup).
 */
export const sshAddress = z.string(expected(SSH_HOST.what)).superRefine((value, ctx) => {
  const message = charsetMessage(/^[0-9.]+$/.test(value) ? IPV4 : SSH_HOST, value);
  if (message !== undefined) ctx.addIssue({ code: "custom", message, input: value });
});

export const mac = z.mac(expected('a MAC address like "52:54:00:12:34:56" (quote it in YAML)'));

export const port = intRange(1, 65535);

/** A variable/register identifier usable in `{{ name }}` templates. */
export const identifier = z
  .string(expected("an identifier"))
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*$/,
    expected("an identifier (letters, digits, _; not starting with a digit)"),
  );

/** A file path on this machine; "~" and relative paths are resolved by the loader. */
export const filePath = inCharset(LOCAL_PATH);
