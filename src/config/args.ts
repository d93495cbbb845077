// Command-line arguments of `./broker`: Go's flag package accepts -config=FILE,
// --config=FILE, -config FILE and --config FILE, and Go Queue users type all
// four. The first word that is not a flag is a command ("status"). The config flag may come
// before or after the command (`./broker status -config=configs/node1.json`, as the README
// prints it): people type flags in either order.
import { ConfigError } from './errors.ts';

export interface ParsedArgs {
  configFile?: string;
  command?: string;
  /** Everything else, in order: other flags, and the words after the command. */
  rest: string[];
}

const CONFIG_FLAGS = new Set(['-config', '--config']);

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const parsed: ParsedArgs = { rest: [] };
  let flagsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (flagsEnded) {
      parsed.rest.push(arg);
      continue;
    }
    if (arg === '--') {
      // As in Go's flag package, "--" ends the flags; what follows is passed on as is.
      flagsEnded = true;
      continue;
    }
    const equals = arg.indexOf('=');
    const name = equals === -1 ? arg : arg.slice(0, equals);
    if (CONFIG_FLAGS.has(name)) {
      const value = equals === -1 ? argv[++i] : arg.slice(equals + 1);
      if (value === undefined || value === '' || (equals === -1 && value.startsWith('-'))) {
        throw new ConfigError('config', `flag ${name}: needs a file, e.g. ${name}=configs/standalone.json`);
      }
      if (parsed.configFile !== undefined) {
        throw new ConfigError('config', `flag ${name}: given twice ("${parsed.configFile}" and "${value}")`);
      }
      parsed.configFile = value;
    } else if ((arg.startsWith('-') && arg !== '-') || parsed.command !== undefined) {
      parsed.rest.push(arg);
    } else {
      parsed.command = arg;
    }
  }
  return parsed;
}
