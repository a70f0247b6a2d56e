// Which tasks a run selects: --tags / --skip-tags with Ansible's semantics.
// A task's tags are its own plus its stage's. `always` runs unless skipped by
// name; `never` runs only when one of its tags is asked for by name; the
// special words `all`, `tagged` and `untagged` work in both flags. A tag that
// no task has is a typo: refused with the list of tags the playbook has.
import { UsageError } from "../errors.js";
import type { Playbook, Stage, Task } from "../playbook/model.js";

export interface TagFilter {
  /** --tags (empty or undefined: all). */
  readonly tags?: readonly string[];
  /** --skip-tags. */
  readonly skipTags?: readonly string[];
}

const SPECIAL = ["all", "tagged", "untagged", "always", "never"];

export const effectiveTags = (stage: Stage, task: Task): string[] => [
  ...new Set([...stage.tags, ...task.tags]),
];

/** Every tag the playbook uses, sorted. */
export const playbookTags = (playbook: Playbook): string[] =>
  [...new Set(playbook.stages.flatMap((s) => s.tasks.flatMap((t) => effectiveTags(s, t))))].sort();

const matches = (wanted: readonly string[], tags: readonly string[]): boolean =>
  wanted.some(
    (w) =>
      tags.includes(w) ||
      (w === "tagged" && tags.length > 0) ||
      (w === "untagged" && tags.length === 0) ||
      (w === "all" && !tags.includes("never")),
  );

export function taskSelected(stage: Stage, task: Task, filter: TagFilter): boolean {
  const tags = effectiveTags(stage, task);
  const skip = filter.skipTags ?? [];
  if (skip.length > 0 && matches(skip, tags)) return false;
  const wanted = filter.tags ?? [];
  if (wanted.length === 0) return !tags.includes("never");
  if (tags.includes("always")) return true;
  if (tags.includes("never")) return wanted.some((w) => w !== "all" && w !== "tagged" && tags.includes(w));
  return matches(wanted, tags);
}

export const tasksFor = (stage: Stage, filter: TagFilter): Task[] =>
  stage.tasks.filter((t) => taskSelected(stage, t, filter));

/** Refuses tags the playbook does not have (exit 1), naming the ones it has. */
export function checkTags(playbook: Playbook, filter: TagFilter): void {
  const known = playbookTags(playbook);
  for (const [flag, list] of [
    ["--tags", filter.tags ?? []],
    ["--skip-tags", filter.skipTags ?? []],
  ] as const) {
    const unknown = list.filter((t) => !known.includes(t) && !SPECIAL.includes(t));
    if (unknown.length > 0)
      throw new UsageError(
        `${flag}: no task of playbook ${playbook.name} has tag(s) ${unknown.join(", ")}; ` +
          `tags: ${known.join(", ") || "(none)"}`,
      );
  }
}

/** "a, b ,c" → ["a", "b", "c"]. */
export const splitTags = (value: string | undefined): string[] | undefined =>
  value === undefined
    ? undefined
    : value
        .split(",")
        .map((t) => t.trim())
        .filter(Boolean);
