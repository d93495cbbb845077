// The command-line grammar every `runnel` command shares. Flags go before or after the
// command words, as people type them (`runnel -b h:9092 cluster status` and
// `runnel cluster status -b h:9092`), in the forms `--flag value`, `--flag=value`, `-b value`
// and `-b=value`; a boolean flag takes no value. "--" ends the flags. Because a flag may
// come before the command that defines it, every flag name has one meaning across all
// commands (checked when the commands are registered); which flags a command accepts is
// checked after the command is known.

import { invariant } from '../../base/invariant.ts';

export type FlagType = 'boolean' | 'string' | 'integer';

export interface FlagSpec {
  /** Long name without dashes, e.g. "bootstrap". */
  name: string;
  /** One-letter alias without the dash, e.g. "b". */
  short?: string;
  type: FlagType;
  /** The value's placeholder in help, e.g. "HOST:PORT". */
  value?: string;
  help: string;
  /**
   * A string flag that may be given more than once (`--topic a --topic b`); its values are
   * joined with commas, as if given once as a comma list (`--topic a,b`). Commands that declare
   * the same name without it still refuse a repeat (runRunnel checks).
   */
  repeatable?: boolean;
}

export type FlagValue = boolean | string | number;

export interface ParsedCommandLine {
  /** The words that are not flags or flag values, in order: command words, then arguments. */
  words: string[];
  /** By long name; a flag given twice is a usage error unless it is repeatable. */
  flags: Map<string, FlagValue>;
  /** The repeatable flags that were given more than once. */
  repeated: Set<string>;
}

/** A mistake in the command line: exit code 2, with the message and a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Indexes flag specs by long and short name; a name with two meanings is a programming error. */
export class FlagTable {
  private readonly byName = new Map<string, FlagSpec>();
  private readonly byShort = new Map<string, FlagSpec>();

  add(spec: FlagSpec): void {
    const known = this.byName.get(spec.name);
    if (known) {
      invariant(known.type === spec.type && known.short === spec.short, `flag --${spec.name} is declared twice with different meanings`);
      if (spec.repeatable) this.byName.set(spec.name, { ...known, repeatable: true });
      return;
    }
    invariant(!spec.repeatable || spec.type === 'string', `flag --${spec.name}: only string flags can be repeatable`);
    invariant(/^[a-z][a-z0-9-]*$/.test(spec.name), `flag name "${spec.name}" is not lower-case words with dashes`);
    if (spec.short !== undefined) {
      invariant(!this.byShort.has(spec.short), `short flag -${spec.short} is declared twice`);
      this.byShort.set(spec.short, spec);
    }
    this.byName.set(spec.name, spec);
  }

  lookup(token: string): FlagSpec | undefined {
    if (token.startsWith('--')) return this.byName.get(token.slice(2));
    return token.length === 2 ? this.byShort.get(token.slice(1)) : undefined;
  }
}

function parseValue(spec: FlagSpec, given: string, raw: string): FlagValue {
  if (spec.type === 'integer') {
    if (!/^-?\d+$/.test(raw)) throw new UsageError(`flag ${given}: "${raw}" is not a whole number`);
    const n = Number(raw);
    if (!Number.isSafeInteger(n)) throw new UsageError(`flag ${given}: ${raw} is out of range`);
    return n;
  }
  return raw;
}

/** Splits argv into words and flags by `table`; unknown flags and missing values are UsageErrors. */
export function parseCommandLine(argv: readonly string[], table: FlagTable): ParsedCommandLine {
  const words: string[] = [];
  const flags = new Map<string, FlagValue>();
  const repeated = new Set<string>();
  let flagsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (flagsEnded || !arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      // "-" is stdin, "-5" a negative number argument (an offset), not flags.
      words.push(arg);
      continue;
    }
    if (arg === '--') {
      flagsEnded = true;
      continue;
    }
    const equals = arg.indexOf('=');
    const given = equals === -1 ? arg : arg.slice(0, equals);
    const spec = table.lookup(given);
    if (!spec) throw new UsageError(`unknown flag ${given}`);
    const again = flags.has(spec.name);
    if (again && !spec.repeatable) throw new UsageError(`flag --${spec.name} given twice`);
    if (spec.type === 'boolean') {
      if (equals === -1) flags.set(spec.name, true);
      else if (arg.slice(equals + 1) === 'true' || arg.slice(equals + 1) === 'false') flags.set(spec.name, arg.slice(equals + 1) === 'true');
      else throw new UsageError(`flag ${given} takes no value (or =true/=false)`);
      continue;
    }
    let raw: string | undefined;
    if (equals !== -1) raw = arg.slice(equals + 1);
    else {
      raw = argv[i + 1];
      // A following flag is not a value: `--bootstrap --json` forgot the address.
      if (raw?.startsWith('-') && raw !== '-' && !/^-\d/.test(raw)) raw = undefined;
      else i++;
    }
    if (raw === undefined || raw === '') throw new UsageError(`flag ${given} needs a value${spec.value ? ` (${spec.value})` : ''}`);
    if (again) {
      repeated.add(spec.name);
      flags.set(spec.name, `${flags.get(spec.name)},${raw}`);
    } else flags.set(spec.name, parseValue(spec, given, raw));
  }
  return { words, flags, repeated };
}

/** `-b, --bootstrap HOST:PORT   help`, aligned, for help texts. */
export function formatFlags(specs: readonly FlagSpec[]): string {
  const left = specs.map((s) => `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.value ? ` ${s.value}` : ''}`);
  const width = Math.max(0, ...left.map((l) => l.length));
  return specs.map((s, i) => `  ${left[i]!.padEnd(width)}  ${s.help}`).join('\n');
}
