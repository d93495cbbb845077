// CPU time of another process from /proc/<pid>/stat, so the benchmark can tell whether
// the broker or the client was the busy side. Linux only; returns 0 elsewhere.

import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** Clock ticks per second for utime/stime; 100 on every Linux we run on (getconf CLK_TCK). */
const CLK_TCK = 100;

/** User + system CPU seconds consumed so far by `pid`. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after it start past the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / CLK_TCK;
  } catch {
    return 0;
  }
}

export function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The 1, 5 and 15 minute load averages, as every benchmark prints them beside its figures. */
export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}
