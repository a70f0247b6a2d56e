// `register: NAME` on a playbook task: the task's result, for `{{ NAME.… }}` in
// later stages' args. This is user data (whatever a playbook author reads from
// it), so it is plain JSON-like values, not typed keys: status and changed,
// plus the fields of every value the task's operation produced (e.g. lvs.discover's
// interface, mac, address).
import type { Produced } from "./data.js";
import type { TaskStatus } from "./types.js";

/** One registered task result: `{{ r.status }}`, `{{ r.changed }}`, `{{ r.mac }}`… */
export type RegisteredValue = Readonly<Record<string, unknown>>;

/** host → register name → value. */
export type Registered = Record<string, Record<string, RegisteredValue>>;

const isRecord = (v: unknown): v is Readonly<Record<string, unknown>> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function registeredValue(status: TaskStatus, produced: readonly Produced[]): RegisteredValue {
  const fields: Record<string, unknown> = {};
  for (const p of produced) {
    if (isRecord(p.value)) Object.assign(fields, p.value);
    else fields[p.key.name] = p.value;
  }
  return { ...fields, status, changed: status === "changed" };
}
