// LAB CONCESSION support: on a kernel without IPVS keepalived exits entirely when
// its config has virtual_server blocks, unless it runs with -P (VRRP only). With
// `vrrp_only: true` this adds -P to the daemon options line of the host's options
// file, every other line and option kept (a host's keepalived may run other
// instances with options of their own); with vrrp_only off it takes back only a
// -P it added. Options that already have -P are left alone: changing them means
// a keepalived restart, and every VRRP instance on the host re-elects.
import { z } from "zod";
import { cause } from "../../engine/cause.js";
import { factRequest, type Operation, type Plan, unchanged } from "../../engine/types.js";
import { fileFact } from "../../facts/file.js";
import { osFact } from "../../facts/os.js";
import { isDirector, lvsOf } from "./shared.js";

const Args = z.strictObject({});

/** First line of the whole options file an earlier lvsplay wrote. */
const MARKER = "# Managed by lvsplay";
/** Comment lvsplay puts above the options line it added -P to. */
export const OPTION_MARKER =
  "# lvsplay: -P on the next line is the vrrp_only lab concession; lvsplay removes it when vrrp_only is off.";

export const DAEMON_OPTIONS = {
  debian: { path: "/etc/default/keepalived", variable: "DAEMON_ARGS", stock: "" },
  rhel: { path: "/etc/sysconfig/keepalived", variable: "KEEPALIVED_OPTIONS", stock: "-D" },
} as const;
type Family = keyof typeof DAEMON_OPTIONS;

/** The whole file an earlier lvsplay wrote (kept so such files are still recognised and restored). */
export function daemonOptionsContent(family: Family, vrrpOnly: boolean): string {
  const f = DAEMON_OPTIONS[family];
  return vrrpOnly
    ? `${MARKER}: LAB CONCESSION vrrp_only — this kernel has no IPVS, keepalived runs VRRP only (-P).\n${f.variable}="${`${f.stock} -P`.trim()}"\n`
    : `${MARKER}: keepalived runs with its default options.\n${f.variable}="${f.stock}"\n`;
}

const assignment = (variable: string) => new RegExp(`^\\s*(?:export\\s+)?${variable}=(.*)$`);

/** The value of the last `VARIABLE=…` line (shell quotes removed), and its line index. */
export function optionsLine(
  content: string,
  variable: string,
): { index: number; words: string[] } | undefined {
  const lines = content.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = assignment(variable).exec(lines[i]!);
    if (!m) continue;
    const value = m[1]!
      .replace(/\s+#.*$/, "")
      .trim()
      .replace(/^(["'])(.*)\1$/, "$2");
    return { index: i, words: value.split(/\s+/).filter(Boolean) };
  }
  return undefined;
}

/** The config file keepalived is started with (-f FILE, -fFILE, --use-file=FILE, --use-file FILE). */
export function configFileOption(content: string, variable: string): string | undefined {
  const words = optionsLine(content, variable)?.words ?? [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === "-f" || w === "--use-file") return words[i + 1];
    if (w.startsWith("--use-file=")) return w.slice("--use-file=".length);
    if (/^-[^-]*f/.test(w)) return w.slice(w.indexOf("f") + 1) || words[i + 1];
  }
  return undefined;
}

const vrrpOnlyOption = (words: readonly string[]) =>
  words.some((w) => w === "-P" || w === "--vrrp" || (/^-[A-Za-z]+$/.test(w) && w.includes("P")));

/** The options file with -P added to (or removed from) the options line; undefined: no change needed. */
export function editedOptions(content: string | null, family: Family, vrrpOnly: boolean): string | undefined {
  const { variable, stock } = DAEMON_OPTIONS[family];
  const text = content ?? "";
  // An earlier lvsplay's whole file: back to the stock options when vrrp_only is off.
  if (text.startsWith(MARKER)) {
    if (vrrpOnly)
      return vrrpOnlyOption(optionsLine(text, variable)?.words ?? [])
        ? undefined
        : daemonOptionsContent(family, true);
    const stockFile = daemonOptionsContent(family, false);
    return text === stockFile ? undefined : stockFile;
  }
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const line = optionsLine(text, variable);
  const marked = line !== undefined && lines[line.index - 1] === OPTION_MARKER;
  const render = (words: readonly string[]) => `${variable}="${words.join(" ")}"`;
  if (vrrpOnly) {
    if (line && vrrpOnlyOption(line.words)) return undefined;
    if (line) lines.splice(line.index, 1, OPTION_MARKER, render([...line.words, "-P"]));
    else lines.push(OPTION_MARKER, render([...stock.split(" ").filter(Boolean), "-P"]));
    return `${lines.join("\n")}\n`;
  }
  if (!line || !marked) return undefined;
  lines.splice(line.index - 1, 2, render(line.words.filter((w) => w !== "-P")));
  return `${lines.join("\n")}\n`;
}

export const keepalivedModeOperation: Operation<z.infer<typeof Args>> = {
  name: "lvs.keepalived_mode",
  description: "vrrp_only lab concession: run keepalived with -P (VRRP only); take it back otherwise",
  argsSchema: Args,
  parseArgs: (raw) => Args.parse(raw ?? {}),
  mayCause: () => [cause("keepalived-options")],
  facts: ({ host }) =>
    isDirector(host)
      ? [
          factRequest(osFact),
          factRequest(fileFact, DAEMON_OPTIONS.debian.path),
          factRequest(fileFact, DAEMON_OPTIONS.rhel.path),
        ]
      : [],
  plan: ({ host, inventory, facts }): Plan => {
    if (!isDirector(host)) return { changes: [], skipped: "not a director" };
    const { vrrpOnly } = lvsOf(inventory);
    const os = facts.get(factRequest(osFact));
    if (os.family === "other") {
      return vrrpOnly
        ? {
            changes: [],
            error: "vrrp_only needs a Debian- or RHEL-family host (keepalived daemon options file)",
          }
        : unchanged();
    }
    const { path } = DAEMON_OPTIONS[os.family];
    const current = facts.get(factRequest(fileFact, path));
    const after = editedOptions(current.content, os.family, vrrpOnly);
    if (after === undefined)
      return unchanged(
        vrrpOnly
          ? `keepalived runs VRRP-only (-P) per ${path}`
          : "keepalived runs with the host's own options",
      );
    return {
      changes: [
        {
          kind: "file",
          cause: cause("keepalived-options"),
          summary: `${vrrpOnly ? "run keepalived VRRP-only (-P)" : "take back -P from the keepalived options"} in ${path}`,
          path,
          before: current.content,
          after,
          mode: current.mode ? current.mode.padStart(4, "0") : "0644",
          backup: current.exists,
        },
      ],
    };
  },
};
