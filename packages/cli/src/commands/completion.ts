import type { Command, Option } from 'commander';
import { out, UsageError } from '../io.js';

/** Shells `tokensmith completion` writes a script for. */
export const COMPLETION_SHELLS = ['bash', 'zsh', 'fish'] as const;

/** One command of the tree, as the completion scripts see it. */
interface CommandEntry {
  /** Space-separated command path below `tokensmith` (`''` for the program itself). */
  path: string;
  subcommands: string[];
  /** Every flag spelling: long and short. */
  flags: string[];
  /** Flags followed by a value (so the next word is not a command). */
  valued: string[];
  /** Fixed choices of a valued flag, by each of its spellings. */
  choices: Array<[flag: string, values: string[]]>;
}

function spellings(option: Option): string[] {
  return [option.long, option.short].filter((s): s is string => !!s);
}

/** The command tree flattened to one entry per command, read from commander so it never drifts. */
export function completionEntries(program: Command): CommandEntry[] {
  const entries: CommandEntry[] = [];
  const visit = (cmd: Command, path: string) => {
    const options = [...cmd.options];
    // Global options apply below the program too.
    if (cmd !== program) options.push(...program.options.filter((o) => o.long !== '--version'));
    const valued = options.filter((o) => o.required || o.optional);
    entries.push({
      path,
      subcommands: cmd.commands.map((c) => c.name()),
      flags: [...options.flatMap(spellings), '--help'],
      valued: valued.flatMap(spellings),
      choices: valued
        .filter((o) => o.argChoices?.length)
        .flatMap((o) => spellings(o).map((s): [string, string[]] => [s, o.argChoices ?? []])),
    });
    for (const sub of cmd.commands) visit(sub, path ? `${path} ${sub.name()}` : sub.name());
  };
  visit(program, '');
  return entries;
}

/** A shell `case` over `subject` with one arm per key (keys and words never need quoting). */
function caseTable(subject: string, arms: Array<[string, string]>, indent = '  '): string {
  // Commands without subcommands, flags or choices need no arm: an unmatched case prints nothing.
  const lines = arms
    .filter(([, words]) => words)
    .map(([key, words]) => `${indent}  "${key}") echo "${words}" ;;`);
  return [`${indent}case "${subject}" in`, ...lines, `${indent}esac`].join('\n');
}

/** Shell functions shared by bash and zsh (both read the same `case` syntax). */
function tables(entries: CommandEntry[]): string {
  return [
    '_tokensmith_subcommands() {',
    caseTable(
      '$1',
      entries.map((e) => [e.path, e.subcommands.join(' ')]),
    ),
    '}',
    '_tokensmith_flags() {',
    caseTable(
      '$1',
      entries.map((e) => [e.path, e.flags.join(' ')]),
    ),
    '}',
    '_tokensmith_valued() {',
    caseTable(
      '$1',
      entries.map((e) => [e.path, e.valued.join(' ')]),
    ),
    '}',
    '_tokensmith_choices() {',
    caseTable(
      '$1|$2',
      entries.flatMap((e) =>
        e.choices.map(([flag, values]): [string, string] => [`${e.path}|${flag}`, values.join(' ')]),
      ),
    ),
    '}',
  ].join('\n');
}

/**
 * The loop bash and zsh share: walk the words before the cursor (`words[first..]` up to `cursor`);
 * known subcommands extend `cmdpath`, a flag that takes a value skips it (and `--config`'s is kept).
 */
function walkWords(words: string, first: number, cursor: string): string {
  return `  for (( i = ${first}; i < ${cursor}; i++ )); do
    w="\${${words}[i]}"
    if [[ "$w" == -* ]]; then
      if [[ " $(_tokensmith_valued "$cmdpath") " == *" $w "* ]]; then
        (( i++ ))
        [[ "$w" == --config ]] && config="\${${words}[i]}"
      fi
    elif [[ " $(_tokensmith_subcommands "$cmdpath") " == *" $w "* ]]; then
      cmdpath="\${cmdpath:+$cmdpath }$w"
    else
      break
    fi
  done
`;
}

/** The bash script: `source <(tokensmith completion bash)`. */
export function bashScript(entries: CommandEntry[]): string {
  return `# tokensmith completion for bash: source <(tokensmith completion bash)
${tables(entries)}
_tokensmith() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" cmdpath="" config="" i w
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  # Walk the words before the cursor: known subcommands extend the path; a valued flag skips its value.
${walkWords('COMP_WORDS', 1, 'COMP_CWORD')}  if [[ "$prev" == -p || "$prev" == --profile ]]; then
    local profiles
    profiles="$(tokensmith completion --profiles \${config:+--config "$config"} 2>/dev/null)"
    COMPREPLY=( $(compgen -W "$profiles" -- "$cur") )
    return 0
  fi
  local choices
  choices="$(_tokensmith_choices "$cmdpath" "$prev")"
  if [[ -n "$choices" ]]; then
    COMPREPLY=( $(compgen -W "$choices" -- "$cur") )
    return 0
  fi
  if [[ -n "$prev" && "$prev" == -* && " $(_tokensmith_valued "$cmdpath") " == *" $prev "* ]]; then
    COMPREPLY=( $(compgen -f -- "$cur") )
    return 0
  fi
  local subcommands
  subcommands="$(_tokensmith_subcommands "$cmdpath")"
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$(_tokensmith_flags "$cmdpath")" -- "$cur") )
  elif [[ -n "$subcommands" ]]; then
    COMPREPLY=( $(compgen -W "$subcommands" -- "$cur") )
  else
    # A command's own arguments (a file to decode, a command to exec): file names.
    COMPREPLY=( $(compgen -f -- "$cur") )
  fi
  return 0
}
complete -F _tokensmith tokensmith
`;
}

/** The zsh script: `source <(tokensmith completion zsh)` (after compinit). */
export function zshScript(entries: CommandEntry[]): string {
  return `#compdef tokensmith
# tokensmith completion for zsh: source <(tokensmith completion zsh) after compinit
${tables(entries)}
_tokensmith() {
  local cur="\${words[CURRENT]}" prev="\${words[CURRENT-1]}" cmdpath="" config="" i w
  local -a candidates
${walkWords('words', 2, 'CURRENT')}  if [[ "$prev" == -p || "$prev" == --profile ]]; then
    candidates=(\${(f)"$(tokensmith completion --profiles \${config:+--config "$config"} 2>/dev/null)"})
    compadd -a candidates
    return
  fi
  local choices="$(_tokensmith_choices "$cmdpath" "$prev")"
  if [[ -n "$choices" ]]; then
    candidates=(\${=choices})
    compadd -a candidates
    return
  fi
  if [[ "$prev" == -* && " $(_tokensmith_valued "$cmdpath") " == *" $prev "* ]]; then
    _files
    return
  fi
  local subcommands="$(_tokensmith_subcommands "$cmdpath")"
  if [[ "$cur" == -* ]]; then
    candidates=(\${=$(_tokensmith_flags "$cmdpath")})
  elif [[ -n "$subcommands" ]]; then
    candidates=(\${=subcommands})
  else
    _files
    return
  fi
  compadd -a candidates
}
compdef _tokensmith tokensmith
`;
}

/** The fish script: `tokensmith completion fish | source`. */
export function fishScript(entries: CommandEntry[]): string {
  const paths = entries.map((e) => `'${e.path}'`).join(' ');
  const valued = entries.flatMap((e) => e.valued.map((f) => `'${e.path}|${f}'`)).join(' ');
  const lines: string[] = [];
  for (const e of entries) {
    const at = `-n "__tokensmith_at '${e.path}'"`;
    if (e.subcommands.length) lines.push(`complete -c tokensmith -f ${at} -a '${e.subcommands.join(' ')}'`);
    for (const flag of e.flags) {
      const name = flag.startsWith('--') ? `-l ${flag.slice(2)}` : `-s ${flag.slice(1)}`;
      const choices = e.choices.find(([f]) => f === flag)?.[1];
      let value = '';
      if (flag === '-p' || flag === '--profile') value = " -x -a '(__tokensmith_profiles)'";
      else if (choices) value = ` -x -a '${choices.join(' ')}'`;
      else if (e.valued.includes(flag)) value = ' -r';
      lines.push(`complete -c tokensmith ${at} ${name}${value}`);
    }
  }
  return `# tokensmith completion for fish: tokensmith completion fish | source
set -g __tokensmith_paths ${paths}
set -g __tokensmith_valued ${valued}
function __tokensmith_path
  set -l words (commandline -opc)
  set -e words[1]
  set -l cmdpath ''
  set -l skip 0
  for w in $words
    if test $skip = 1
      set skip 0
      continue
    end
    if string match -q -- '-*' $w
      contains -- "$cmdpath|$w" $__tokensmith_valued; and set skip 1
      continue
    end
    set -l next (string trim -- "$cmdpath $w")
    if contains -- $next $__tokensmith_paths
      set cmdpath $next
    else
      break
    end
  end
  echo $cmdpath
end
function __tokensmith_at
  set -l here (__tokensmith_path)
  test "$here" = "$argv[1]"
end
function __tokensmith_profiles
  set -l words (commandline -opc)
  set -l i (contains -i -- --config $words)
  if test -n "$i"; and test (count $words) -gt $i
    tokensmith completion --profiles --config $words[(math $i + 1)] 2>/dev/null
  else
    tokensmith completion --profiles 2>/dev/null
  end
end
${lines.join('\n')}
`;
}

/** Flags of `tokensmith completion`. */
export interface CompletionFlags {
  /** List the config's profile names (for the scripts), one per line. */
  profiles?: boolean;
  config?: string;
}

/**
 * `tokensmith completion <shell>` prints the shell's script; `--profiles` lists profile names for
 * it, quietly and with exit 0 even without (or with a broken) config, so a Tab never prints errors.
 */
export async function completionCommand(
  shell: string | undefined,
  flags: CompletionFlags,
  program: Command,
): Promise<void> {
  if (flags.profiles) {
    try {
      const { loadConfig } = await import('../config/profiles.js');
      const config = await loadConfig(flags.config);
      const names = Object.keys(config.profiles);
      if (names.length) out(names.join('\n'));
    } catch {
      // Completion must stay silent: no names is the answer for an unreadable config.
    }
    return;
  }
  const entries = completionEntries(program);
  if (shell === 'bash') process.stdout.write(bashScript(entries));
  else if (shell === 'zsh') process.stdout.write(zshScript(entries));
  else if (shell === 'fish') process.stdout.write(fishScript(entries));
  else throw new UsageError(`name a shell: ${COMPLETION_SHELLS.join(', ')}`);
}
