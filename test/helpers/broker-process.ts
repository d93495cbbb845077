// Starts and stops real broker processes for integration and compatibility tests.
//
// Every broker runs `./broker` from the repository root on 127.0.0.1 with a free Kafka port,
// a free HTTP port (GET /status, /health), a temporary data directory and JSON logs. The harness promises never to leave a process
// behind: children are killed when the test process exits, and a small shell watchdog
// kills a broker whose test process died without running exit handlers (SIGKILL, OOM).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BROKER_BIN = join(REPO_ROOT, 'broker');
/** Keep at most this many log lines per broker, so a chatty fuzz run cannot grow memory without bound. */
const MAX_LOG_LINES = 50_000;

export interface StartBrokerOptions {
  /** Extra environment (RUNNEL_* overrides). Applied on top of the harness defaults. */
  env?: Record<string, string>;
  /** Use this data directory instead of a fresh temporary one; it is then kept at stop(). */
  dataDir?: string;
  /** Keep the data directory after stop() even when the harness created it. */
  keepDataDir?: boolean;
  /** Passed as `-config=FILE`. */
  configFile?: string;
  /** Fixed port; by default a free one is picked. */
  port?: number;
  /** Fixed HTTP port; by default a free one is picked (RUNNEL_HTTP__PORT in `env` also fixes it). */
  httpPort?: number;
  /** How long to wait for the "listening" log line. */
  startTimeoutMs?: number;
  /**
   * The address the broker listens on and advertises (Kafka and HTTP); 127.0.0.1 by default.
   * The chaos runner gives each broker its own network namespace and address.
   */
  host?: string;
  /**
   * A command the broker runs under, e.g. ['ip', 'netns', 'exec', 'ns1']. It must exec the
   * broker in place (as `ip netns exec` does), so the handle's pid and signals reach the broker.
   */
  wrapper?: string[];
}

export interface StopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BrokerHandle {
  readonly host: string;
  readonly port: number;
  /** The HTTP server's port on 127.0.0.1 (GET /status, /health); the same across restarts. */
  readonly httpPort: number;
  /** "host:port" (127.0.0.1 unless `host` was given), as kcat -b and KafkaJS brokers want it. */
  readonly bootstrap: string;
  readonly dataDir: string;
  /** Process id of the running broker (changes on restart). */
  readonly pid: number;
  /** SIGTERM, then SIGKILL after `timeoutMs`; removes the data dir unless kept. */
  stop(timeoutMs?: number): Promise<StopResult>;
  /** SIGKILL and wait for the exit; the data dir stays, so restart() can follow. */
  kill9(): Promise<StopResult>;
  /** Stops (SIGTERM) if running, then starts again on the same port and data dir; resolves with how the old process ended. */
  restart(): Promise<StopResult>;
  /** True while the current broker process has not exited. */
  alive(): boolean;
  /** All stdout and stderr lines so far, across restarts. */
  logs(): string[];
  /** Log lines parsed as JSON (lines that are not JSON are skipped). */
  jsonLogs(): Array<Record<string, unknown>>;
  /** VmHWM of the current process in KiB (or of the last one, once it has exited). */
  peakRssKb(): number;
  /** VmRSS of the current process in KiB, 0 when it is not running. */
  rssKb(): number;
}

const live = new Set<ChildProcess>();
const watchdogs = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous; process.kill is.
  process.on('exit', () => {
    for (const c of live) safeKill(c.pid, 'SIGKILL');
    for (const w of watchdogs) safeKill(w.pid, 'SIGKILL');
  });
  // Without these, SIGINT/SIGTERM would end the test process without 'exit' handlers.
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const c of live) safeKill(c.pid, 'SIGKILL');
      for (const w of watchdogs) safeKill(w.pid, 'SIGKILL');
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

function safeKill(pid: number | undefined, sig: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone: nothing to do.
  }
}

/** A free port on 127.0.0.1 (see freePorts). */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/**
 * The ports tests listen on come from below the kernel's ephemeral range. A port from inside it
 * (what binding port 0 gives) can be taken, while its broker is down for a restart, by any
 * outgoing connection on the machine as its local port, and the restart then fails with
 * EADDRINUSE: that failed cluster tests under load (seen in CI).
 */
function listenPortRange(): { low: number; high: number } {
  let ephemeralLow = 32768; // Linux's default low end
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow;
  } catch {
    // Not Linux: keep the default.
  }
  return { low: 10000, high: Math.max(10000 + 1000, ephemeralLow) };
}

const PORT_PROBES_MAX = 200;

function tryListen(port: number): Promise<Server | null> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(null));
    srv.listen(port, '127.0.0.1', () => resolve(srv));
  });
}

/**
 * `count` distinct free ports on 127.0.0.1, from below the ephemeral range (listenPortRange),
 * probed by binding each. All stay bound until the last is found, so one call never returns a
 * port twice; a random start keeps parallel test files apart.
 */
export async function freePorts(count: number): Promise<number[]> {
  const { low, high } = listenPortRange();
  const span = high - low;
  const held: Server[] = [];
  try {
    let candidate = low + Math.floor(Math.random() * span);
    for (let probe = 0; held.length < count && probe < PORT_PROBES_MAX; probe++) {
      const srv = await tryListen(candidate);
      if (srv) held.push(srv);
      candidate = low + ((candidate - low + 1 + Math.floor(Math.random() * 64)) % span);
    }
    if (held.length < count) throw new Error(`freePorts: no ${count} free ports in ${low}-${high} after ${PORT_PROBES_MAX} probes`);
    return held.map((srv) => (srv.address() as { port: number }).port);
  } finally {
    await Promise.all(held.map((srv) => new Promise((resolve) => srv.close(resolve))));
  }
}

/** Reads one field (e.g. VmRSS, VmHWM) of /proc/<pid>/status in KiB, or 0 if unavailable. */
export function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function harnessEnv(port: number, httpPort: number, dataDir: string, extra: Record<string, string> | undefined, host = '127.0.0.1'): NodeJS.ProcessEnv {
  return {
    ...process.env,
    RUNNEL_DATA_DIR: dataDir,
    RUNNEL_SERVER__PORT: String(port),
    // Tests bind to loopback (or a namespace address of their own), never to every interface.
    RUNNEL_SERVER__HOST: host,
    RUNNEL_SERVER__ADVERTISED_HOST: host,
    // Every broker gets its own HTTP port, so brokers started side by side (a cluster, or
    // tests running concurrently) never fight over the default 8080, and tests can ask /status.
    RUNNEL_HTTP__ENABLED: 'true',
    RUNNEL_HTTP__HOST: host,
    RUNNEL_HTTP__PORT: String(httpPort),
    RUNNEL_SERVER__LOG_FORMAT: 'json',
    ...extra,
  };
}

function spawnBroker(args: string[], env: NodeJS.ProcessEnv, onLine: (line: string) => void, wrapper: string[] = []): ChildProcess {
  installExitHook();
  const [command, ...prefix] = [...wrapper, BROKER_BIN];
  const child = spawn(command!, [...prefix, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  // The watchdog outlives us only by design: it polls our pid once a second and kills the
  // broker when we are gone. We kill the watchdog ourselves when the broker exits.
  const watchdog = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -9 ${child.pid} 2>/dev/null`], {
    detached: true,
    stdio: 'ignore',
  });
  watchdog.unref();
  watchdogs.add(watchdog);
  child.once('exit', () => {
    live.delete(child);
    safeKill(watchdog.pid, 'SIGKILL');
    watchdogs.delete(watchdog);
  });
  for (const stream of [child.stdout!, child.stderr!]) {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        onLine(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    stream.on('end', () => {
      if (pending) onLine(pending);
      pending = '';
    });
  }
  return child;
}

function waitExit(child: ChildProcess): Promise<StopResult> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

function isListeningLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    return (JSON.parse(line) as { msg?: unknown }).msg === 'listening';
  } catch {
    return false;
  }
}

class Broker implements BrokerHandle {
  readonly host: string;
  private child: ChildProcess | null = null;
  private readonly lines: string[] = [];
  private lastPeakKb = 0;
  private listeningWaiter: (() => void) | null = null;

  constructor(
    readonly port: number,
    readonly httpPort: number,
    readonly dataDir: string,
    private readonly ownsDataDir: boolean,
    private readonly opts: StartBrokerOptions,
  ) {
    this.host = opts.host ?? '127.0.0.1';
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  private onLine = (line: string): void => {
    this.lines.push(line);
    if (this.lines.length > MAX_LOG_LINES) this.lines.splice(0, this.lines.length - MAX_LOG_LINES);
    if (this.listeningWaiter && isListeningLine(line)) this.listeningWaiter();
  };

  async startProcess(): Promise<void> {
    const args = this.opts.configFile ? [`-config=${this.opts.configFile}`] : [];
    const child = spawnBroker(args, harnessEnv(this.port, this.httpPort, this.dataDir, this.opts.env, this.host), this.onLine, this.opts.wrapper);
    this.child = child;
    const timeoutMs = this.opts.startTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.listeningWaiter = resolve;
        child.once('exit', (code, signal) => reject(new Error(`broker exited before listening (code ${code}, signal ${signal}):\n${this.tail(40)}`)));
        child.once('error', reject);
        timer = setTimeout(() => reject(new Error(`broker did not log "listening" within ${timeoutMs} ms:\n${this.tail(40)}`)), timeoutMs);
      });
    } catch (err) {
      safeKill(child.pid, 'SIGKILL');
      await waitExit(child);
      throw err;
    } finally {
      clearTimeout(timer);
      this.listeningWaiter = null;
    }
  }

  tail(n: number): string {
    return this.lines.slice(-n).join('\n');
  }

  alive(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  private async stopProcess(timeoutMs: number): Promise<StopResult> {
    const child = this.child;
    if (!child) return { code: null, signal: null };
    if (!this.alive()) return waitExit(child);
    this.samplePeak();
    const exited = waitExit(child);
    safeKill(child.pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const first = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    if (first === 'timeout') {
      this.lines.push(`[harness] broker ${child.pid} ignored SIGTERM for ${timeoutMs} ms; sending SIGKILL`);
      safeKill(child.pid, 'SIGKILL');
    }
    return exited;
  }

  private samplePeak(): void {
    if (this.child?.pid && this.alive()) {
      const kb = procStatusKb(this.child.pid, 'VmHWM');
      if (kb > 0) this.lastPeakKb = kb;
    }
  }

  async stop(timeoutMs = 10_000): Promise<StopResult> {
    const res = await this.stopProcess(timeoutMs);
    if (this.ownsDataDir && !this.opts.keepDataDir) rmSync(this.dataDir, { recursive: true, force: true });
    return res;
  }

  async kill9(): Promise<StopResult> {
    const child = this.child;
    if (!child) return { code: null, signal: null };
    this.samplePeak();
    safeKill(child.pid, 'SIGKILL');
    return waitExit(child);
  }

  async restart(): Promise<StopResult> {
    const res = await this.stopProcess(10_000);
    this.lines.push(`[harness] restart (previous process ended with code ${res.code}, signal ${res.signal})`);
    await this.startProcess();
    return res;
  }

  logs(): string[] {
    return [...this.lines];
  }

  jsonLogs(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const l of this.lines) {
      if (!l.startsWith('{')) continue;
      try {
        out.push(JSON.parse(l) as Record<string, unknown>);
      } catch {
        // Not every line must be JSON (stderr from Node itself, for one).
      }
    }
    return out;
  }

  peakRssKb(): number {
    this.samplePeak();
    return this.lastPeakKb;
  }

  rssKb(): number {
    return this.alive() && this.child?.pid ? procStatusKb(this.child.pid, 'VmRSS') : 0;
  }
}

/** The HTTP port a caller fixed through RUNNEL_HTTP__PORT in its extra environment, if any. */
function envPort(env: Record<string, string> | undefined): number | undefined {
  const value = env?.RUNNEL_HTTP__PORT;
  return value === undefined ? undefined : Number(value);
}

/** Starts one broker and resolves once it logged "listening". */
export async function startBroker(opts: StartBrokerOptions = {}): Promise<BrokerHandle> {
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'runnel-test-'));
  // A port picked by freePorts() can be taken by someone else before the broker binds it;
  // retry a few times with fresh ports in that case, unless the caller fixed both ports.
  const fixedHttpPort = opts.httpPort ?? envPort(opts.env);
  const attempts = opts.port && fixedHttpPort ? 1 : 3;
  let lastErr: unknown;
  for (let i = 0; i < attempts; i++) {
    const [pickedPort, pickedHttpPort] = await freePorts(2);
    const broker = new Broker(opts.port ?? pickedPort!, fixedHttpPort ?? pickedHttpPort!, dataDir, ownsDataDir, opts);
    try {
      await broker.startProcess();
      return broker;
    } catch (err) {
      lastErr = err;
      if (!/EADDRINUSE/.test(String(err))) break;
    }
  }
  if (ownsDataDir && !opts.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
  throw lastErr;
}

export interface ExitResult extends StopResult {
  output: string;
  /** True when the broker got as far as logging "listening" (so it accepted the config). */
  listened: boolean;
}

/**
 * Runs the broker expecting it to exit by itself (for instance on a bad config file).
 * If it is still running after `timeoutMs` (or logs "listening"), it is killed and the
 * result says so with signal SIGKILL/SIGTERM.
 */
export async function runBrokerExpectingExit(opts: { configFile?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<ExitResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'runnel-test-'));
  const [port, httpPort] = await freePorts(2);
  const lines: string[] = [];
  let child: ChildProcess | null = null;
  const listening = new Promise<'listening'>((resolve) => {
    child = spawnBroker(opts.configFile ? [`-config=${opts.configFile}`] : [], harnessEnv(port!, httpPort!, dataDir, opts.env), (line) => {
      lines.push(line);
      if (isListeningLine(line)) resolve('listening');
    });
  });
  const c = child as unknown as ChildProcess;
  // 'close' (not 'exit') fires after stdout and stderr ended, so no output line is lost.
  const exited = new Promise<StopResult>((resolve) => c.once('close', (code, signal) => resolve({ code, signal })));
  let listened = false;
  void listening.then(() => (listened = true));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), opts.timeoutMs ?? 20_000)));
  const first = await Promise.race([exited, listening, timeout]);
  clearTimeout(timer);
  if (first === 'listening' || first === 'timeout') safeKill(c.pid, 'SIGTERM');
  const res = await exited;
  rmSync(dataDir, { recursive: true, force: true });
  return { ...res, output: lines.join('\n'), listened };
}
