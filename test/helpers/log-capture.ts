// A logger whose JSON lines a test can read back.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/log/index.ts';

export interface CapturedLog {
  lines: Array<Record<string, unknown>>;
  logger: Logger;
  /** The lines whose message contains `text`. */
  matching(text: string): Array<Record<string, unknown>>;
}

export function captureLogger(level: 'debug' | 'info' = 'info'): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ level, format: 'json', destination: sink });
  return { lines, logger, matching: (text) => lines.filter((line) => String(line.msg).includes(text)) };
}
