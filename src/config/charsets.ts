// One strict character set per kind of string that reaches keepalived.conf,
// an iptables rule, a unit file, a cron line or a remote command (README,
// "Limits"). Every loader validates with these (inventory and playbook fields,
// CLI flags, values discovered on hosts), and the renderers check again
// before writing text: a value outside its set never reaches a file.
//
// Why these sets: keepalived expands `$NAME`, `${NAME}` and its built-ins
// (`$_RANDOM`, `$_PWD`, `$_INSTANCE`) before it parses a line, reads `{`/`}` as
// blocks, `#`/`!` as comments, quotes and `\` as string syntax, and keeps only
// the text before a NUL. iptables keeps 255 bytes of a comment. Names are
// also words in unit files, cron lines and error messages.

/** Whether one character (a code point, as a string) is allowed. */
export type CharTest = (ch: string) => boolean;

/** Characters of a regex class like /[a-z]/. */
const oneOf =
  (re: RegExp): CharTest =>
  (ch) =>
    re.test(ch);

/** C0 and C1 control characters and DEL: they drive terminals and end lines. */
export const isControlChar = (ch: string): boolean => {
  const code = ch.codePointAt(0) ?? 0;
  return code < 0x20 || (code >= 0x7f && code <= 0x9f);
};

export interface Charset {
  /** What the value is, for messages: "a host name". */
  readonly what: string;
  /** The rule in words (messages and README). */
  readonly rule: string;
  readonly minLength: number;
  readonly maxLength: number;
  /** Whether one character (code point) is allowed. */
  readonly char: CharTest;
  /** The first character, when it is stricter than the rest. */
  readonly first?: CharTest;
  /** Never echo the value (passwords). */
  readonly secret?: boolean;
  /** A last whole-value test (e.g. octets of an address), with its reason. */
  readonly whole?: { readonly test: (value: string) => boolean; readonly reason: string };
}

const NAME_CHARS = oneOf(/[A-Za-z0-9._-]/);
const ALNUM = oneOf(/[A-Za-z0-9]/);

/** Inventory host, group and service names; also keepalived's router_id and rule comments. */
export const NAME: Charset = {
  what: "a name",
  rule: 'letters, digits, ".", "_", "-", starting with a letter or digit, 1-64 characters',
  minLength: 1,
  maxLength: 64,
  char: NAME_CHARS,
  first: ALNUM,
};

/** SSH login user. */
export const USER: Charset = {
  what: "a user name",
  rule: 'letters, digits, ".", "_", "-", not starting with "." or "-", 1-32 characters',
  minLength: 1,
  maxLength: 32,
  char: NAME_CHARS,
  first: oneOf(/[A-Za-z0-9_]/),
};

/** Environment variable names (become.password_env and the like): names, not secrets. */
export const ENV_NAME: Charset = {
  what: "an environment variable name",
  rule: 'letters, digits, "_", not starting with a digit, 1-128 characters',
  minLength: 1,
  maxLength: 128,
  char: oneOf(/[A-Za-z0-9_]/),
  first: oneOf(/[A-Za-z_]/),
};

/** Network interface names (inventory and discovered): what keepalived, iptables and `ip` take as one word. */
export const INTERFACE: Charset = {
  what: "an interface name",
  rule: 'letters, digits, ".", "_", "-", starting with a letter or digit, 1-15 characters',
  minLength: 1,
  maxLength: 15,
  char: NAME_CHARS,
  first: ALNUM,
};

/**
 * The VRRP PASS password, written into keepalived.conf: printable ASCII
 * without whitespace and without what keepalived treats as syntax
 * ($ { } # ! " ' \) or shells would (`).
 */
export const VRRP_PASSWORD: Charset = {
  what: "a VRRP password",
  rule: "1-8 of: letters, digits and - _ . , : ; + = @ % ^ & * ( ) [ ] < > / ? | ~; never $ { } # ! quotes, backslash or whitespace, which keepalived reads as syntax",
  minLength: 1,
  maxLength: 8,
  char: oneOf(/[A-Za-z0-9\-_.,:;+=@%^&*()[\]<>/?|~]/),
  secret: true,
};

/** HTTP health check URL path, written into keepalived.conf. */
export const HTTP_PATH: Charset = {
  what: "a URL path",
  rule: 'starting with "/", then letters, digits and - _ . ~ % & ( ) * + , ; = : @ / ?, at most 1024 characters',
  minLength: 1,
  maxLength: 1024,
  char: oneOf(/[A-Za-z0-9\-_.~%&()*+,;=:@/?]/),
  first: oneOf(/\//),
};

const NO_CONTROL: CharTest = (ch) => !isControlChar(ch);

/** A path on a managed host (file, creates, keepalived.conf): passed as one argv word. */
export const REMOTE_PATH: Charset = {
  what: "an absolute path",
  rule: 'starting with "/", no control characters or NUL, at most 4096 characters',
  minLength: 1,
  maxLength: 4096,
  char: NO_CONTROL,
  first: oneOf(/\//),
};

/** A path on this machine (identity, known_hosts, --prom-file): may end up in a unit file or cron line. */
export const LOCAL_PATH: Charset = {
  what: "a file path",
  rule: "no control characters or NUL, 1-4096 characters",
  minLength: 1,
  maxLength: 4096,
  char: NO_CONTROL,
};

/** A word of a command's argv (command, unless, validate): anything but NUL, which no argv can carry. */
export const ARGV_WORD: Charset = {
  what: "a command argument",
  rule: "any text without NUL, at most 131072 characters (the kernel's limit per argument)",
  minLength: 0,
  maxLength: 131_072,
  char: (ch) => ch !== "\u0000",
};

/** Playbook and stage tags, also --tags values. */
export const TAG: Charset = {
  what: "a tag",
  rule: 'letters, digits, ".", "_", "-", 1-64 characters',
  minLength: 1,
  maxLength: 64,
  char: NAME_CHARS,
};

/** Host patterns: stage `hosts:` and --limit (names, globs and the : , & ! operators). */
export const HOST_PATTERN: Charset = {
  what: "a host pattern",
  rule: "letters, digits and . _ - * ? [ ] ! & : , only, at most 1024 characters",
  minLength: 1,
  maxLength: 1024,
  char: oneOf(/[A-Za-z0-9._\-*?[\]!&:,]/),
};

/** A service (unit or init script) name for the `service` operation. */
export const SERVICE_UNIT: Charset = {
  what: "a service name",
  rule: 'letters, digits, "@", ".", "_", ":", "-", starting with a letter or digit, at most 255 characters',
  minLength: 1,
  maxLength: 255,
  char: oneOf(/[A-Za-z0-9@._:-]/),
  first: ALNUM,
};

/** A distribution package name (apt, dnf). */
export const PACKAGE: Charset = {
  what: "a package name",
  rule: 'letters, digits, "+", ".", "_", "-", starting with a letter or digit, at most 128 characters',
  minLength: 1,
  maxLength: 128,
  char: oneOf(/[A-Za-z0-9+._-]/),
  first: ALNUM,
};

/**
 * A command keepalived runs for a hook (notify_*, vrrp_script): an absolute
 * path, then arguments, one space apart. keepalived splits it on spaces and runs
 * it without a shell, so quotes could not group words anyway; `$`, braces, `#`,
 * `!`, quotes and backslashes would be keepalived syntax.
 */
export const SCRIPT_COMMAND: Charset = {
  what: "a command",
  rule: "an absolute path, then arguments one space apart; letters, digits and / . _ - + : = , @ % only, at most 255 characters",
  minLength: 2,
  maxLength: 255,
  char: oneOf(/[A-Za-z0-9/._\-+:=,@% ]/),
  first: oneOf(/\//),
  whole: {
    test: (v) => !/ {2}| $/.test(v) && !/^\/+( |$)/.test(v),
    reason: "it has two spaces in a row, a trailing space, or no file name",
  },
};

/**
 * A path lvsplay writes into keepalived's configuration (the include line for
 * its own file) and passes to the host's shell scripts: absolute, plain
 * characters only — no whitespace, glob characters (an include is a glob), `$`,
 * braces, quotes or comment characters, which keepalived reads as syntax.
 */
export const KEEPALIVED_PATH: Charset = {
  what: "an absolute path",
  rule: 'starting with "/", then letters, digits and . _ - / only, not ending with "/", at most 255 characters',
  minLength: 2,
  maxLength: 255,
  char: oneOf(/[A-Za-z0-9._/-]/),
  first: oneOf(/\//),
  whole: { test: (v) => !v.endsWith("/"), reason: "it ends with /" },
};

/** Stage, task, handler and playbook names: shown in reports, one line each. */
export const LABEL: Charset = {
  what: "a name",
  rule: "one line of text without control characters, not blank, at most 200 characters",
  minLength: 1,
  maxLength: 200,
  char: NO_CONTROL,
  whole: { test: (v) => v.trim() !== "", reason: "it is blank" },
};

const octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
const IPV4_RE = new RegExp(`^${octet}(?:\\.${octet}){3}$`);

/** IPv4 addresses (inventory and discovered), dotted quad without leading zeros. */
export const IPV4: Charset = {
  what: "an IPv4 address like 192.0.2.10",
  rule: "four decimal numbers 0-255 separated by dots, no leading zeros",
  minLength: 7,
  maxLength: 15,
  char: oneOf(/[0-9.]/),
  whole: { test: (v) => IPV4_RE.test(v), reason: "not a dotted quad of numbers 0-255" },
};

/**
 * Where SSH connects: an inventory `address`, an ssh_config HostName, a
 * ProxyJump hop. An IPv4 address, a DNS name or an ssh_config Host alias; what
 * keepalived and iptables get is the resolved IPv4 address, never this text.
 */
export const SSH_HOST: Charset = {
  what: "an IPv4 address or a host name",
  rule: 'letters, digits, ".", "_", "-", starting with a letter or digit, 1-253 characters; only digits and dots means an IPv4 address',
  minLength: 1,
  maxLength: 253,
  char: NAME_CHARS,
  first: ALNUM,
  whole: {
    test: (v) => !/^[0-9.]+$/.test(v) || IPV4_RE.test(v),
    reason: "digits and dots, but not an IPv4 address",
  },
};

/** MAC addresses (discovered, and in mark rules). */
export const MAC: Charset = {
  what: 'a MAC address like "52:54:00:12:34:56"',
  rule: "six pairs of hex digits separated by colons",
  minLength: 17,
  maxLength: 17,
  char: oneOf(/[0-9A-Fa-f:]/),
  whole: {
    test: (v) => /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}$/.test(v),
    reason: "not six pairs of hex digits",
  },
};

/** How a character is shown in a message: printable as itself, anything else as \xNN or \uNNNN. */
export const showChar = (ch: string): string => {
  const code = ch.codePointAt(0) ?? 0;
  if (isControlChar(ch)) return `\\x${code.toString(16).padStart(2, "0")}`;
  if (code > 0x7e && !/\p{L}|\p{N}/u.test(ch)) return `\\u{${code.toString(16)}}`;
  return ch;
};

/** Why `value` is outside `charset` ("" when it is inside). Never repeats a secret's characters. */
export function charsetViolation(charset: Charset, value: string): string {
  const chars = [...value];
  if (chars.length < charset.minLength) return chars.length === 0 ? "it is empty" : "it is too short";
  if (chars.length > charset.maxLength)
    return `it is ${chars.length} characters long, the limit is ${charset.maxLength}`;
  for (const [i, ch] of chars.entries()) {
    const allowed = i === 0 && charset.first ? charset.first : charset.char;
    if (allowed(ch)) continue;
    if (charset.secret) return `character ${i + 1} is not allowed`;
    if (i === 0 && charset.char(ch)) return `it cannot start with "${showChar(ch)}"`;
    return `"${showChar(ch)}" is not allowed`;
  }
  if (charset.whole && !charset.whole.test(value)) return charset.whole.reason;
  return "";
}

/** `expected …: why` for a value outside its set, or undefined. */
export function charsetMessage(charset: Charset, value: string): string | undefined {
  const why = charsetViolation(charset, value);
  return why === "" ? undefined : `expected ${charset.what} (${charset.rule}): ${why}`;
}

/** A value outside its character set, found where it must not be (renderers, discovered values). */
export class CharsetError extends Error {
  override readonly name = "CharsetError";
}

/**
 * Throws CharsetError unless `value` is in `charset`. `label` says whose value
 * it is ("interface of ds1 (discovered)"); a secret's value is never shown.
 */
export function assertCharset(charset: Charset, value: string, label: string): string {
  const message = charsetMessage(charset, value);
  if (message === undefined) return value;
  const shown = charset.secret
    ? ""
    : ` ${JSON.stringify(value.length > 60 ? `${value.slice(0, 59)}…` : value)}`;
  throw new CharsetError(`${label}${shown}: ${message}`);
}

/** Every set by name, for the README's table and the tests. */
export const CHARSETS = {
  NAME,
  USER,
  ENV_NAME,
  INTERFACE,
  VRRP_PASSWORD,
  HTTP_PATH,
  REMOTE_PATH,
  LOCAL_PATH,
  ARGV_WORD,
  TAG,
  HOST_PATTERN,
  SERVICE_UNIT,
  PACKAGE,
  SCRIPT_COMMAND,
  KEEPALIVED_PATH,
  LABEL,
  IPV4,
  MAC,
} as const;
