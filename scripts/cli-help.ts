/**
 * Help text of the review and migrate commands, generated from one table of options and one table
 * of exit codes per command, so that `--help`, the usage line of an argument error and the parser
 * name the same options.
 */

export interface CliOption {
  /** `--base`. */
  readonly flag: string;
  /** Placeholder of the value (`<git-ref>`); none for a switch. */
  readonly value?: string;
  readonly help: string;
  /** Shown without brackets in the usage line. */
  readonly required?: boolean;
}

export interface CliCommand {
  /** `npm run review --`. */
  readonly command: string;
  /** What the command does, in a sentence or two. */
  readonly summary: string;
  readonly options: readonly CliOption[];
  readonly exitCodes: readonly (readonly [number, string])[];
}

const HELP_OPTION: CliOption = { flag: '--help', help: 'print this help and exit' };

/** `usage: npm run review -- --base <git-ref> [--repo <dir>] ...`. */
export function usageLine(c: CliCommand): string {
  const parts = c.options.map((o) => {
    const text = o.value !== undefined ? `${o.flag} ${o.value}` : o.flag;
    return o.required ? text : `[${text}]`;
  });
  return `usage: ${c.command} ${parts.join(' ')}`;
}

/** The full help: usage, summary, every option, the exit codes. */
export function helpText(c: CliCommand): string {
  const options = [...c.options, HELP_OPTION];
  const labels = options.map((o) => (o.value !== undefined ? `${o.flag} ${o.value}` : o.flag));
  const width = Math.max(...labels.map((l) => l.length)) + 2;
  return [
    usageLine(c),
    '',
    c.summary,
    '',
    'Options:',
    ...options.map((o, i) => `  ${labels[i]!.padEnd(width)}${o.help}`),
    '',
    'Exit codes:',
    ...c.exitCodes.map(([code, meaning]) => `  ${code}  ${meaning}`),
    '',
  ].join('\n');
}

/** Whether the arguments ask for help (`--help` or `-h` anywhere). */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.some((a) => a === '--help' || a === '-h');
}
