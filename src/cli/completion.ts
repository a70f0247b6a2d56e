// `lvsplay completion bash|zsh`: a completion script generated from the
// command definitions themselves (commands, subcommands, options, which
// options take a file), so it never falls behind the CLI. zsh loads the same
// function through bashcompinit.
import type { Command } from "commander";
import { UsageError } from "../errors.js";

interface CommandShape {
  /** "apply", or "lab up" for a subcommand. */
  readonly path: string;
  readonly options: readonly string[];
  readonly subcommands: readonly string[];
  /** Its arguments are files (inventories, playbooks, topologies). */
  readonly fileArgs: boolean;
}

export const SHELLS = ["bash", "zsh"] as const;

function shapes(cmd: Command, prefix: string): CommandShape[] {
  return cmd.commands.flatMap((sub) => {
    const path = prefix === "" ? sub.name() : `${prefix} ${sub.name()}`;
    const options = sub.options.flatMap((o) => [o.short, o.long].filter((f): f is string => f !== undefined));
    const fileArgs = sub.registeredArguments.length > 0 && sub.name() !== "completion";
    return [
      { path, options: [...options, "--help"], subcommands: sub.commands.map((c) => c.name()), fileArgs },
      ...shapes(sub, path),
    ];
  });
}

/** Options that take a value: [file-valued, other]. */
function valueOptions(cmd: Command): { files: Set<string>; others: Set<string> } {
  const files = new Set<string>();
  const others = new Set<string>();
  const walk = (c: Command) => {
    for (const o of c.options) {
      if (!o.required && !o.optional) continue;
      const target = /<(file|path)>/.test(o.flags) ? files : others;
      for (const f of [o.short, o.long]) if (f) target.add(f);
    }
    for (const sub of c.commands) walk(sub);
  };
  walk(cmd);
  return { files, others };
}

const words = (list: Iterable<string>) => [...list].join(" ");
/** A case pattern matching exactly these words (quoted: "lab vm" has a space). */
const pattern = (list: Iterable<string>) =>
  [...list].map((w) => `"${w}"`).join("|") || '"--never-an-option--"';

export function bashCompletion(program: Command): string {
  const all = shapes(program, "");
  const { files, others } = valueOptions(program);
  const withSubs = all.filter((s) => s.subcommands.length > 0).map((s) => s.path);
  const cases = all.map((s) => {
    const opts = words(s.options);
    const rest =
      s.path === "completion"
        ? `COMPREPLY=( $(compgen -W "${words(SHELLS)}" -- "$cur") )`
        : s.subcommands.length > 0
          ? `COMPREPLY=( $(compgen -W "${words(s.subcommands)}" -- "$cur") )`
          : s.fileArgs
            ? `COMPREPLY=( $(compgen -f -- "$cur") )`
            : "COMPREPLY=()";
    return `    "${s.path}")\n      if [[ "$cur" == -* ]]; then COMPREPLY=( $(compgen -W "${opts}" -- "$cur") ); else ${rest}; fi ;;`;
  });
  return `# lvsplay completion for bash: source it, or save it as
# /etc/bash_completion.d/lvsplay (lvsplay completion bash > …).
_lvsplay() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" path="" i w
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for (( i = 1; i < COMP_CWORD; i++ )); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    case "\${COMP_WORDS[i-1]}" in ${pattern([...files, ...others])}) continue ;; esac
    if [[ -z "$path" ]]; then
      path="$w"
    else
      case "$path" in ${pattern(withSubs)}) path="$path $w" ;; esac
    fi
  done
  case "$prev" in
    ${pattern(files)}) COMPREPLY=( $(compgen -f -- "$cur") ); return 0 ;;
    ${pattern(others)}) COMPREPLY=(); return 0 ;;
  esac
  case "$path" in
    "")
      COMPREPLY=( $(compgen -W "${words(program.commands.map((c) => c.name()))} --help --version" -- "$cur") ) ;;
${cases.join("\n")}
    *) COMPREPLY=() ;;
  esac
  return 0
}
complete -o filenames -F _lvsplay lvsplay
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef lvsplay
# lvsplay completion for zsh (the bash completion through bashcompinit): source it
# from ~/.zshrc, e.g. source <(lvsplay completion zsh).
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashCompletion(program).replace(/^# .*\n/gm, "")}`;
}

export function completionScript(program: Command, shell: string): string {
  if (shell === "bash") return bashCompletion(program);
  if (shell === "zsh") return zshCompletion(program);
  throw new UsageError(`completion ${shell}: expected one of ${SHELLS.join(", ")}`);
}
