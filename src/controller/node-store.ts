// The small durable state of one node, kept in SQLite (docs/storage.md): its identity (cluster id and
// storage UUID), the Raft groups this disk holds a replica of (src/partition/replica-identity.ts)
// and the latest snapshot of the metadata state machine (a single node's state, or in cluster
// mode the metadata group's Raft snapshot). Message data never goes here.

import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Snapshot } from '../raft/types.ts';
import type { MetadataSnapshot } from '../metadata/metadata-state.ts';

export interface NodeIdentity {
  nodeId: number;
  /** Chosen once, when the first node of a cluster starts; 22 characters like Kafka's. */
  clusterId: string;
  /** Chosen once per data dir; a wiped disk gets a new one, which is how peers recognise it. */
  storageId: string;
}

export const nodeStoreFileName = 'runnel.db';

export class NodeStore {
  private readonly db: Database.Database;

  private constructor(db: Database.Database) {
    this.db = db;
  }

  static open(dataDir: string): NodeStore {
    mkdirSync(dataDir, { recursive: true });
    const db = new Database(join(dataDir, nodeStoreFileName));
    // WAL with synchronous=FULL: a committed metadata change survives power loss, as Raft needs.
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    // The Raft groups this disk holds a replica of: a recorded group without its raft.state lost it.
    db.exec('CREATE TABLE IF NOT EXISTS replica_groups (name TEXT PRIMARY KEY)');
    // Consumer-group snapshots: the groups and offsets of one __consumer_offsets partition, as of
    // `covered_offset` (every record below it is in the snapshot), so the log below can go.
    db.exec('CREATE TABLE IF NOT EXISTS group_snapshots (partition INTEGER PRIMARY KEY, covered_offset INTEGER NOT NULL, data TEXT NOT NULL)');
    // Cluster mode: the metadata group's latest Raft snapshot, one row (docs/cluster.md).
    db.exec(
      'CREATE TABLE IF NOT EXISTS metadata_snapshot (id INTEGER PRIMARY KEY CHECK (id = 0), ' +
        'raft_index INTEGER NOT NULL, term INTEGER NOT NULL, conf_state TEXT NOT NULL, data BLOB NOT NULL)',
    );
    return new NodeStore(db);
  }

  /** Loads the identity, creating it on first start. A node id change on the same disk is refused. */
  identity(nodeId: number): NodeIdentity {
    const stored = this.get<NodeIdentity>('identity');
    if (stored) {
      if (stored.nodeId !== nodeId) {
        throw new Error(
          `data dir belongs to node ${stored.nodeId}, but this node is configured as ${nodeId} ` +
            '(cluster.node_id); use the matching data_dir or a fresh one',
        );
      }
      return stored;
    }
    const identity: NodeIdentity = { nodeId, clusterId: newClusterId(), storageId: randomUUID() };
    this.put('identity', identity);
    return identity;
  }

  /** Whether this disk holds a replica of Raft group `group` (recorded before its state mattered). */
  holdsReplica(group: string): boolean {
    return this.db.prepare('SELECT 1 FROM replica_groups WHERE name = ?').get(group) !== undefined;
  }

  /** Records that this disk holds a replica of `group`; durable on return (synchronous = FULL). */
  recordReplica(group: string): void {
    if (!this.holdsReplica(group)) this.db.prepare('INSERT OR IGNORE INTO replica_groups (name) VALUES (?)').run(group);
  }

  forgetReplica(group: string): void {
    this.db.prepare('DELETE FROM replica_groups WHERE name = ?').run(group);
  }

  recordedReplicas(): string[] {
    return (this.db.prepare('SELECT name FROM replica_groups ORDER BY name').all() as Array<{ name: string }>).map((r) => r.name);
  }

  loadMetadata(): MetadataSnapshot | undefined {
    return this.get<MetadataSnapshot>('metadata');
  }

  saveMetadata(snapshot: MetadataSnapshot): void {
    this.put('metadata', snapshot);
  }

  /** Cluster mode: the metadata group's latest snapshot (MetadataLogStorage). */
  loadMetadataSnapshot(): Snapshot | undefined {
    const row = this.db.prepare('SELECT raft_index, term, conf_state, data FROM metadata_snapshot WHERE id = 0').get() as
      | { raft_index: number; term: number; conf_state: string; data: Buffer }
      | undefined;
    if (!row) return undefined;
    return { index: row.raft_index, term: row.term, confState: JSON.parse(row.conf_state) as Snapshot['confState'], data: new Uint8Array(row.data) };
  }

  /** Durable when it returns (synchronous = FULL). */
  saveMetadataSnapshot(snapshot: Snapshot): void {
    const data = Buffer.from(snapshot.data.buffer, snapshot.data.byteOffset, snapshot.data.byteLength);
    this.db.transaction(() => {
      this.db
        .prepare('INSERT OR REPLACE INTO metadata_snapshot (id, raft_index, term, conf_state, data) VALUES (0, ?, ?, ?, ?)')
        .run(snapshot.index, snapshot.term, JSON.stringify(snapshot.confState), data);
      // Before snapshots, the state was rewritten here after every applied entry; it is not read any more.
      this.db.prepare("DELETE FROM kv WHERE key = 'metadataCheckpoint'").run();
    })();
  }

  loadGroupSnapshot(partition: number): { coveredOffset: number; data: string } | undefined {
    const row = this.db.prepare('SELECT covered_offset, data FROM group_snapshots WHERE partition = ?').get(partition) as
      | { covered_offset: number; data: string }
      | undefined;
    return row ? { coveredOffset: row.covered_offset, data: row.data } : undefined;
  }

  saveGroupSnapshot(partition: number, coveredOffset: number, data: string): void {
    this.db
      .prepare(
        'INSERT INTO group_snapshots (partition, covered_offset, data) VALUES (?, ?, ?) ' +
          'ON CONFLICT(partition) DO UPDATE SET covered_offset = excluded.covered_offset, data = excluded.data',
      )
      .run(partition, coveredOffset, data);
  }

  close(): void {
    this.db.close();
  }

  private get<T>(key: string): T | undefined {
    const row = this.db.prepare('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  private put(key: string, value: unknown): void {
    this.db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }
}

/** Kafka cluster ids are 16 random bytes in URL-safe base64 without padding (22 characters). */
export function newClusterId(): string {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex').toString('base64url');
}
