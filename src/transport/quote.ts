// The one place that turns argv into a POSIX shell command line. sshd always
// hands the command string to the login user's shell, so every argument must be
// quoted; nothing else in the code base concatenates shell strings.

/**
 * Words made only of these characters never need quoting. `=` is deliberately
 * absent: an unquoted `A=b` in the first position is an assignment, not a program.
 */
const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/**
 * Quote one argument for a POSIX shell. Uses single quotes (no expansion of any
 * kind happens inside them) and writes an embedded `'` as `'\''`. Works for any
 * byte sequence except NUL, which cannot be passed in an argv at all.
 */
export function quoteArg(s: string): string {
  if (s.includes("\0")) {
    throw new Error("cannot pass a NUL byte in a command argument");
  }
  if (s.length > 0 && SAFE_WORD.test(s)) return s;
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** Join argv into one shell command line whose words are exactly `argv`. */
export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error("cannot run an empty command");
  return argv.map(quoteArg).join(" ");
}
