// Passwords the inventory names but does not contain: the VRRP password and
// sudo passwords, from an environment variable or a file. Read once, when the
// inventory is loaded (a missing variable or an unsafe file is bad input,
// reported at its key before any host is contacted); kept as Secret values,
// which never print. A password file must be readable by its owner only
// (0600 or stricter) and owned by the user running lvsplay or by root.
import { readFileSync, statSync } from "node:fs";
import { charsetMessage, VRRP_PASSWORD } from "../config/charsets.js";
import { Secret } from "../config/secret.js";
import type { KeyPath } from "../config/yaml-source.js";
import type { RuleProblem } from "./rules.js";
import type { RawConnection, RawInventory } from "./schema.js";
import { resolveUserPath } from "./ssh-settings.js";

export interface SecretSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The file's permission bits, owner and text; throws like fs does. */
  readonly readFile: (path: string) => { readonly mode: number; readonly uid: number; readonly text: string };
  /** The user lvsplay runs as (a password file must be theirs or root's). */
  readonly uid: number;
}

export const systemSecretSources = (): SecretSources => ({
  env: process.env,
  readFile: (path) => {
    const st = statSync(path);
    if (!st.isFile()) throw Object.assign(new Error("not a regular file"), { code: "ENOTFILE" });
    return { mode: st.mode & 0o777, uid: st.uid, text: readFileSync(path, "utf8") };
  },
  uid: process.getuid?.() ?? 0,
});

export interface ResolvedSecrets {
  readonly vrrp?: Secret;
  /** Sudo password per host name (only hosts with become enabled and a password source). */
  readonly become: ReadonlyMap<string, Secret>;
}

type Source = { readonly env: string } | { readonly file: string };

const octal = (mode: number) => `0${mode.toString(8).padStart(3, "0")}`;

/** One read per distinct source: a password used by every host is read once. */
class Reader {
  private readonly cache = new Map<string, Secret | string>();
  constructor(
    private readonly sources: SecretSources,
    private readonly baseDir: string,
  ) {}

  /** The secret, or why it cannot be had (never containing the value). */
  read(source: Source): Secret | string {
    const key = JSON.stringify(source);
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const value = "env" in source ? this.fromEnv(source.env) : this.fromFile(source.file);
    this.cache.set(key, value);
    return value;
  }

  private fromEnv(name: string): Secret | string {
    const value = this.sources.env[name];
    if (value === undefined) return `environment variable ${name} is not set`;
    if (value === "") return `environment variable ${name} is empty`;
    return new Secret(value, `environment variable ${name}`);
  }

  private fromFile(raw: string): Secret | string {
    const path = resolveUserPath(raw, this.baseDir);
    let file: { mode: number; uid: number; text: string };
    try {
      file = this.sources.readFile(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return `${path} does not exist`;
      if (code === "ENOTFILE" || code === "EISDIR") return `${path} is not a regular file`;
      if (code === "EACCES") return `${path} is not readable by this user`;
      return `cannot read ${path}: ${(error as Error).message}`;
    }
    if ((file.mode & 0o077) !== 0)
      return `${path} has mode ${octal(file.mode)}: a password file must be readable by its owner only (chmod 600 ${path})`;
    if (file.uid !== this.sources.uid && file.uid !== 0)
      return `${path} belongs to uid ${file.uid}: a password file must belong to the user running lvsplay or to root`;
    const text = file.text.replace(/\r?\n$/, "");
    if (text.includes("\n")) return `${path} must hold the password on one line`;
    if (text === "") return `${path} is empty`;
    return new Secret(text, `file ${path}`);
  }
}

function sourceOf(cfg: {
  password_env?: string | undefined;
  password_file?: string | undefined;
}): Source | undefined {
  if (cfg.password_env !== undefined) return { env: cfg.password_env };
  if (cfg.password_file !== undefined) return { file: cfg.password_file };
  return undefined;
}

/** Reads every secret the inventory names; problems point at the key that named the source. */
export function resolveSecrets(
  raw: RawInventory,
  baseDir: string,
  sources: SecretSources,
): { readonly secrets: ResolvedSecrets; readonly problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const reader = new Reader(sources, baseDir);
  const keyOf = (s: Source) => ("env" in s ? "password_env" : "password_file");

  let vrrp: Secret | undefined;
  const auth = raw.lvs?.vrrp.auth;
  if (auth) {
    const source = sourceOf(auth);
    if (source) {
      const at: KeyPath = ["lvs", "vrrp", "auth", keyOf(source)];
      const got = reader.read(source);
      if (typeof got === "string") problems.push({ path: at, message: got });
      else {
        // The same set as an inline password; the message never shows the value (the set is secret).
        const bad = charsetMessage(VRRP_PASSWORD, got.reveal());
        if (bad) problems.push({ path: at, message: `the password from ${got.source}: ${bad}` });
        else vrrp = got;
      }
    } else if (auth.password !== undefined) vrrp = new Secret(auth.password, "the inventory");
  }

  const become = new Map<string, Secret>();
  const defaults: RawConnection["become"] = raw.defaults?.become;
  for (const [name, host] of Object.entries(raw.hosts)) {
    const own = host.become && sourceOf(host.become) ? host.become : undefined;
    const cfg = own ?? defaults;
    const enabled = host.become?.enabled ?? defaults?.enabled ?? false;
    const source = cfg ? sourceOf(cfg) : undefined;
    if (!enabled || !source) continue;
    const got = reader.read(source);
    const at: KeyPath = own
      ? ["hosts", name, "become", keyOf(source)]
      : ["defaults", "become", keyOf(source)];
    if (typeof got !== "string") become.set(name, got);
    else if (!problems.some((p) => p.path.join() === at.join())) problems.push({ path: at, message: got });
  }
  return { secrets: { ...(vrrp ? { vrrp } : {}), become }, problems };
}
