// The one error type configuration loading throws. `field` is the dotted path
// of the offending field (e.g. "server.port", "cluster.initial_members[1]"),
// or "" when the problem is the file itself (missing, not JSON).

export class ConfigError extends Error {
  readonly field: string;
  /** The environment variable that set the field, when it came from the environment. */
  readonly variable: string | undefined;

  constructor(field: string, message: string, variable?: string) {
    super(message);
    this.name = 'ConfigError';
    this.field = field;
    this.variable = variable;
  }
}

/** The standard wording: `config field "server.port": must be ... (got "abc")`. */
export function fieldError(field: string, problem: string, variable?: string): ConfigError {
  const origin = variable === undefined ? '' : ` (from environment variable ${variable})`;
  return new ConfigError(field, `config field "${field}"${origin}: ${problem}`, variable);
}

const SHOWN_VALUE_CHARS_MAX = 60;

/** A short JSON rendering of a bad value for an error message. */
export function showValue(value: unknown): string {
  let text: string;
  try {
    text = value === undefined ? 'nothing' : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return text.length > SHOWN_VALUE_CHARS_MAX ? `${text.slice(0, SHOWN_VALUE_CHARS_MAX - 3)}...` : text;
}
