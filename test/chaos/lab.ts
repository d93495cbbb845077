// The chaos runner's machine-level resources: a network namespace per broker joined by a
// bridge, the nftables table that cuts links between them, and tmpfs mounts. Needs root.
//
// Why namespaces: a broker's Raft peers learn its address from `cluster.initial_members` and
// then from the metadata (each broker registers its own `cluster.raft_address`), so a proxy
// between peer ports would be bypassed once registration names the real address. With one
// namespace and address per broker, every peer packet crosses the bridge, where one nftables
// table (bridge family, forward hook) drops exactly the directed links we cut: a silent drop,
// as a real partition is, with no change to the broker's configuration. The runner itself
// stays in the root namespace and reaches every broker through the bridge's own address,
// which no rule touches, so client traffic stays up while peer links are cut.
//
// Crash safety: every resource is written to a ledger file under /run/runnel-chaos before it
// is created; a later run removes the resources of any ledger whose process is gone.

import { execFile, execFileSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const LEDGER_DIR = '/run/runnel-chaos';
/** Slots map to /24 subnets of 198.18.0.0/15 (RFC 2544's range for network tests): at most 512 labs at once. */
const SLOTS_MAX = 512;
/** Any one ip/nft/mount command gets this long. */
const COMMAND_TIMEOUT_MS = 15_000;

interface Ledger {
  pid: number;
  slot: number;
  namespaces: string[];
  links: string[];
  table: string | null;
  mounts: string[];
}

async function sh(cmd: string, args: string[], input?: string): Promise<string> {
  const child = run(cmd, args, { timeout: COMMAND_TIMEOUT_MS });
  if (input !== undefined) {
    child.child.stdin!.end(input);
  }
  try {
    return (await child).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr || e.message).trim()}`);
  }
}

/** Synchronous, so teardown also works from a process 'exit' handler (Ctrl-C, an uncaught error). */
function quietly(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: COMMAND_TIMEOUT_MS });
  } catch {
    // Teardown of something already gone.
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function teardown(ledger: Ledger): void {
  for (const m of [...ledger.mounts].reverse()) {
    quietly('umount', [m]);
    // Lazy as a last resort: a process we failed to stop may still hold a file there.
    if (isMounted(m)) quietly('umount', ['-l', m]);
  }
  if (ledger.table) quietly('nft', ['delete', 'table', 'bridge', ledger.table]);
  for (const ns of ledger.namespaces) quietly('ip', ['netns', 'del', ns]);
  for (const link of ledger.links) quietly('ip', ['link', 'del', link]);
}

function isMounted(dir: string): boolean {
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[1] === dir);
  } catch {
    return false;
  }
}

/** Removes what runs that died without cleaning up left behind. */
function removeStaleLabs(): void {
  if (!existsSync(LEDGER_DIR)) return;
  for (const name of readdirSync(LEDGER_DIR)) {
    if (!name.endsWith('.json')) continue;
    const path = join(LEDGER_DIR, name);
    let ledger: Ledger;
    try {
      ledger = JSON.parse(readFileSync(path, 'utf8')) as Ledger;
    } catch {
      continue; // Being written by a live run right now.
    }
    if (pidAlive(ledger.pid)) continue;
    teardown(ledger);
    rmSync(path, { force: true });
  }
}

/** Claims a free slot by creating its ledger file exclusively (safe against a concurrent run). */
function claimSlot(): { slot: number; path: string } {
  mkdirSync(LEDGER_DIR, { recursive: true });
  for (let slot = 0; slot < SLOTS_MAX; slot++) {
    const path = join(LEDGER_DIR, `${slot}.json`);
    try {
      closeSync(openSync(path, 'wx'));
      return { slot, path };
    } catch {
      // Taken.
    }
  }
  throw new Error(`no free chaos lab slot in ${LEDGER_DIR} (${SLOTS_MAX} in use)`);
}

export async function requireTools(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('the chaos runner needs root (network namespaces, nftables, tmpfs mounts)');
  try {
    await sh('nft', ['--version']);
  } catch {
    throw new Error('the chaos runner needs nftables to cut links: apt-get install -y nftables');
  }
  await sh('ip', ['-V']);
}

export class Lab {
  private readonly ledger: Ledger;
  private destroyed = false;

  private constructor(
    readonly slot: number,
    private readonly ledgerPath: string,
  ) {
    this.ledger = { pid: process.pid, slot, namespaces: [], links: [], table: null, mounts: [] };
    this.save();
  }

  /** Namespaces, a bridge and an empty cut table for brokers `nodeIds`. */
  static async create(nodeIds: number[]): Promise<Lab> {
    await requireTools();
    removeStaleLabs();
    const { slot, path } = claimSlot();
    const lab = new Lab(slot, path);
    try {
      await lab.build(nodeIds);
    } catch (err) {
      lab.destroy();
      throw err;
    }
    return lab;
  }

  private get prefix(): string {
    return slot24(this.slot);
  }

  /** The runner's own address on the bridge (clients connect from here). */
  get hostIp(): string {
    return `${this.prefix}.1`;
  }

  nodeIp(nodeId: number): string {
    return `${this.prefix}.${10 + nodeId}`;
  }

  netns(nodeId: number): string {
    return `runnel-chaos-${this.slot}-n${nodeId}`;
  }

  private get bridge(): string {
    return `rnc${this.slot}br`;
  }

  private get table(): string {
    return `runnel_chaos_${this.slot}`;
  }

  private save(): void {
    writeFileSync(this.ledgerPath, JSON.stringify(this.ledger));
  }

  private async build(nodeIds: number[]): Promise<void> {
    this.ledger.links.push(this.bridge);
    this.save();
    await sh('ip', ['link', 'add', this.bridge, 'type', 'bridge']);
    await sh('ip', ['addr', 'add', `${this.hostIp}/24`, 'dev', this.bridge]);
    await sh('ip', ['link', 'set', this.bridge, 'up']);
    for (const id of nodeIds) {
      const ns = this.netns(id);
      const veth = `rnc${this.slot}v${id}`;
      this.ledger.namespaces.push(ns);
      this.ledger.links.push(veth);
      this.save();
      await sh('ip', ['netns', 'add', ns]);
      await sh('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await sh('ip', ['link', 'set', veth, 'master', this.bridge, 'up']);
      await sh('ip', ['-n', ns, 'addr', 'add', `${this.nodeIp(id)}/24`, 'dev', 'eth0']);
      await sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
      await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
    this.ledger.table = this.table;
    this.save();
    await this.block([]);
  }

  /**
   * Drops every packet from `from` to `to` for each directed pair, and lets everything else
   * through: the set replaces the previous one atomically (one nft transaction).
   */
  async block(pairs: ReadonlyArray<readonly [number, number]>): Promise<void> {
    const rules = pairs.map(([from, to]) => `add rule bridge ${this.table} cut ip saddr ${this.nodeIp(from)} ip daddr ${this.nodeIp(to)} drop`);
    const script = [
      `table bridge ${this.table} {`,
      '  chain cut { type filter hook forward priority 0; policy accept; }',
      '}',
      `flush chain bridge ${this.table} cut`,
      ...rules,
      '',
    ].join('\n');
    await sh('nft', ['-f', '-'], script);
  }

  /** Mounts a tmpfs of `sizeMiB` at `dir` (the full-disk fault fills it). */
  async mountTmpfs(dir: string, sizeMiB: number): Promise<void> {
    mkdirSync(dir, { recursive: true });
    this.ledger.mounts.push(dir);
    this.save();
    await sh('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir]);
  }

  /** Removes everything; the brokers must be stopped first. Safe to call twice, and from an 'exit' handler. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    teardown(this.ledger);
    rmSync(this.ledgerPath, { force: true });
  }
}

function slot24(slot: number): string {
  return slot < 256 ? `198.18.${slot}` : `198.19.${slot - 256}`;
}
