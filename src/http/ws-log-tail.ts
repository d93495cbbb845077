// A log tail: the broker's own log lines at or above a level, the recent ones kept in the ring
// first, then {"type":"live"}, then each new one as it is written (docs/tailing.md). Each line is sent as
// {"type":"log","line":{...pino's JSON...}}, or with `line` a string when the ring cut it.
// A client that is behind misses lines and is told how many (TailSocket).

import type { LogLine, LogRing } from '../log/log-ring.ts';
import type { TailSocket } from './ws-socket.ts';

function logMessage(entry: LogLine): string {
  // pino's line is JSON already: embedding it avoids a parse and a stringify per line and client.
  const whole = entry.line.endsWith('}');
  return whole ? `{"type":"log","line":${entry.line}}` : JSON.stringify({ type: 'log', line: entry.line });
}

export function startLogTail(ring: LogRing, level: number, socket: TailSocket): void {
  const deliver = (entry: LogLine) => {
    if (entry.level >= level) socket.send(logMessage(entry));
  };
  socket.notice({ type: 'subscribed', logs: true });
  for (const entry of ring.recent()) deliver(entry);
  // The kept lines are sent: what follows is new (`runnel logs` without --follow stops here).
  socket.notice({ type: 'live' });
  const unsubscribe = ring.subscribe(deliver);
  socket.onClose(unsubscribe);
}
