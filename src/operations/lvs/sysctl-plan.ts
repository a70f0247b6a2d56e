// Changes that make a set of sysctls hold now and after a reboot: a file under
// /etc/sysctl.d/ and `sysctl -w` for the keys whose live value differs.
import { type ChangeCauseKind, cause } from "../../engine/cause.js";
import type { Change } from "../../engine/types.js";
import { type FileFact, sameMode } from "../../facts/file.js";
import type { SysctlFact } from "../../facts/sysctl.js";

export interface SysctlTarget {
  readonly path: string;
  /** First line of the file, after "# Managed by lvsplay: ". */
  readonly purpose: string;
  readonly values: Readonly<Record<string, string>>;
  /** Causes of the changes: the live values, and the file that restores them at boot. */
  readonly causes: { readonly live: ChangeCauseKind; readonly persisted: ChangeCauseKind };
}

export const sysctlFileContent = (t: SysctlTarget): string =>
  [`# Managed by lvsplay: ${t.purpose}`, ...Object.entries(t.values).map(([k, v]) => `${k} = ${v}`), ""].join(
    "\n",
  );

/** Writing a small root-owned 0644 file, unless it already holds exactly `content`. */
export function fileChangeIfDiffers(
  path: string,
  file: FileFact,
  content: string,
  why: ChangeCauseKind,
): Change[] {
  if (file.content === content && sameMode("0644", file.mode)) return [];
  return [
    {
      kind: "file",
      cause: cause(why),
      summary: `write ${path}`,
      path,
      before: file.content,
      after: content,
      mode: "0644",
    },
  ];
}

/**
 * Whether a live value is the wanted one. Vector sysctls read back with tabs
 * (/proc/sys/net/ipv4/vs/sync_threshold: "3\t0") and are written with spaces.
 */
export const sameSysctlValue = (live: string | null | undefined, want: string): boolean =>
  live !== null && live !== undefined && live.trim().split(/\s+/).join(" ") === want;

export function sysctlChanges(t: SysctlTarget, file: FileFact, live: SysctlFact): Change[] {
  const changes = fileChangeIfDiffers(t.path, file, sysctlFileContent(t), t.causes.persisted);
  const wrong = Object.entries(t.values).filter(([k, v]) => !sameSysctlValue(live[k], v));
  if (wrong.length > 0) {
    changes.push({
      kind: "command",
      cause: cause(t.causes.live),
      summary: `apply ${wrong.map(([k]) => k).join(", ")}`,
      command: {
        argv: ["sysctl", "-q", "-w", ...wrong.map(([k, v]) => `${k}=${v}`)],
        become: true,
        timeoutSec: 30,
      },
      before: wrong.map(([k]) => `${k} = ${live[k] ?? "(missing)"}`).join("\n"),
      after: wrong.map(([k, v]) => `${k} = ${v}`).join("\n"),
    });
  }
  return changes;
}
