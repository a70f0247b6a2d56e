// The validated playbook. The loader (playbook/load.ts) produces it from YAML;
// task args are still raw here (the operation's parseArgs validates them after
// variables are substituted per host).

/** Where something came from, for error messages: "file:line:col". */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface Task {
  readonly name: string;
  /** Operation name, e.g. "file", "command", "lvs.marks". */
  readonly op: string;
  /** Raw args; strings may hold `{{ var }}` references resolved per host. */
  readonly args: unknown;
  readonly notify: readonly string[];
  readonly tags: readonly string[];
  /** Publish this task's `publish` values under this name for later stages. */
  readonly register?: string;
  readonly pos: SourcePos;
}

export interface Handler {
  readonly name: string;
  readonly op: string;
  readonly args: unknown;
  readonly pos: SourcePos;
}

export interface Stage {
  readonly name: string;
  /** Host pattern: group or host names, `all`, globs, `a:b` union, `!x` exclusion, `a:&b` intersection. */
  readonly hosts: string;
  readonly tasks: readonly Task[];
  readonly tags: readonly string[];
  readonly pos: SourcePos;
}

export interface Playbook {
  readonly file: string;
  readonly name: string;
  readonly stages: readonly Stage[];
  readonly handlers: readonly Handler[];
}
