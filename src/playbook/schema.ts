/**
 * Playbook file format (YAML). Unknown keys are errors.
 *
 * name: LVS HA                 Optional; defaults to the file name.
 * handlers:                    Optional; run once after a stage when notified by a changed task.
 *   - name: reload keepalived  Unique.
 *     op: service              A known operation (see `lvsplay ops`).
 *     args: { ... }            Raw; `{{ var }}` references are resolved per host.
 * stages:                      At least one; run in order.
 *   - name: install packages   Unique.
 *     hosts: directors:realservers   Host pattern (see inventory/pattern.ts).
 *     tags: [packages]         Optional; select stages with --tags.
 *     tasks:                   At least one.
 *       - name: ensure packages     Optional; defaults to the op name.
 *         op: lvs.packages
 *         args: { extra: ["{{ pkg }}"] }
 *         notify: [reload keepalived]   Handler names (a single string is accepted).
 *         tags: [x]
 *         register: macs       Publish the task's values under this name for later tasks.
 */
import { z } from "zod";
import { HOST_PATTERN, LABEL, TAG } from "../config/charsets.js";
import { identifier, inCharset } from "../config/validators.js";

const expected = (what: string) => ({ error: `expected ${what}` });

const nameSchema = inCharset(LABEL);

const tagSchema = inCharset(TAG);

const opSchema = z.string(expected("an operation name")).min(1, expected("an operation name"));

const taskSchema = z.strictObject({
  name: nameSchema.optional(),
  op: opSchema,
  args: z.unknown().optional(),
  notify: z.union([nameSchema, z.array(nameSchema)], expected("a handler name or a list of them")).optional(),
  tags: z.array(tagSchema).optional(),
  register: identifier.optional(),
});

const handlerSchema = z.strictObject({
  name: nameSchema,
  op: opSchema,
  args: z.unknown().optional(),
});

const stageSchema = z.strictObject({
  name: nameSchema,
  hosts: inCharset(HOST_PATTERN),
  tags: z.array(tagSchema).optional(),
  tasks: z.array(taskSchema).min(1, expected("at least one task")),
});

export const playbookSchema = z.strictObject({
  name: nameSchema.optional(),
  handlers: z.array(handlerSchema).optional(),
  stages: z.array(stageSchema).min(1, expected("at least one stage")),
});

export type RawPlaybook = z.output<typeof playbookSchema>;
