// Secrets that live in managed files must not reach terminals, cron mail or
// JSON logs through diffs: the VRRP password is the one lvsplay renders.
const SECRET_LINES = /^(\s*auth_pass\s+)\S.*$/gm;

export const redactSecrets = (text: string): string => text.replace(SECRET_LINES, "$1<redacted>");
