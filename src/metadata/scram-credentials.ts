// The SCRAM credentials of the cluster's SASL users, part of the metadata state (replicated in
// cluster mode, saved with the node store on a single node). Only what RFC 5802 lets a server
// keep is here: salt, iterations, StoredKey and ServerKey; never a password. In commands and
// snapshots (JSON) the bytes travel as base64.

import type { StoredScramCredential } from '../security/credentials.ts';
import { scramMechanisms, type ScramMechanism } from '../security/scram-crypto.ts';

/** Users with a credential at most; an upsertion for a new user beyond it is refused. */
export const SCRAM_USERS_MAX = 10_000;

/** Bytes of a salt at most (Kafka's clients use 16 to 64). */
export const SCRAM_SALT_BYTES_MAX = 256;

/** A credential as commands and snapshots carry it. */
export interface ScramCredentialRecord {
  user: string;
  mechanism: ScramMechanism;
  /** base64 */
  salt: string;
  iterations: number;
  /** base64 */
  storedKey: string;
  /** base64 */
  serverKey: string;
}

export interface ScramDeletion {
  user: string;
  mechanism: ScramMechanism;
}

export interface ScramUser {
  user: string;
  mechanisms: Array<{ mechanism: ScramMechanism; iterations: number }>;
}

export function toRecord(user: string, cred: StoredScramCredential): ScramCredentialRecord {
  return {
    user,
    mechanism: cred.mechanism,
    salt: cred.salt.toString('base64'),
    iterations: cred.iterations,
    storedKey: cred.storedKey.toString('base64'),
    serverKey: cred.serverKey.toString('base64'),
  };
}

/** Why a record from a command or snapshot cannot be a credential, or null. */
export function recordProblem(record: unknown): string | null {
  if (typeof record !== 'object' || record === null) return 'a SCRAM credential must be an object';
  const r = record as Record<string, unknown>;
  if (typeof r.user !== 'string' || r.user === '') return 'a SCRAM credential needs a user name';
  if (!scramMechanisms.includes(r.mechanism as ScramMechanism)) return `unknown SCRAM mechanism ${JSON.stringify(r.mechanism)}`;
  if (!Number.isSafeInteger(r.iterations) || (r.iterations as number) < 1) return 'SCRAM iterations must be a positive integer';
  for (const key of ['salt', 'storedKey', 'serverKey'] as const) if (typeof r[key] !== 'string') return `SCRAM ${key} must be base64 text`;
  if (Buffer.from(r.salt as string, 'base64').length > SCRAM_SALT_BYTES_MAX) return `a SCRAM salt is at most ${SCRAM_SALT_BYTES_MAX} bytes`;
  return null;
}

function fromRecord(record: ScramCredentialRecord): StoredScramCredential {
  return {
    mechanism: record.mechanism,
    salt: Buffer.from(record.salt, 'base64'),
    iterations: record.iterations,
    storedKey: Buffer.from(record.storedKey, 'base64'),
    serverKey: Buffer.from(record.serverKey, 'base64'),
  };
}

export class ScramCredentialTable {
  /** user → mechanism → credential */
  private readonly users = new Map<string, Map<ScramMechanism, StoredScramCredential>>();

  restore(records: readonly ScramCredentialRecord[] | undefined): void {
    this.users.clear();
    // A damaged entry in a snapshot is left out rather than stopping the broker.
    for (const record of Array.isArray(records) ? records : []) if (recordProblem(record) === null) this.set(record);
  }

  get(user: string, mechanism: ScramMechanism): StoredScramCredential | undefined {
    return this.users.get(user)?.get(mechanism);
  }

  /** Every user with a credential, by name, each with its mechanisms in Kafka's code order. */
  list(): ScramUser[] {
    return [...this.users.keys()].sort().map((user) => ({
      user,
      mechanisms: scramMechanisms
        .filter((m) => this.users.get(user)!.has(m))
        .map((mechanism) => ({ mechanism, iterations: this.get(user, mechanism)!.iterations })),
    }));
  }

  /**
   * Applies deletions, then upsertions, all or nothing: a malformed entry, or more users than
   * SCRAM_USERS_MAX, refuses the whole command (the proposer validated each entry; this guards
   * the state against a command it did not check). Deleting a credential that is not there
   * changes nothing: the proposer answered RESOURCE_NOT_FOUND for it when it was missing then.
   */
  alter(deletions: readonly ScramDeletion[], upsertions: readonly ScramCredentialRecord[]): string | null {
    if (!Array.isArray(deletions) || !Array.isArray(upsertions)) return 'alterScramCredentials needs deletions and upsertions lists';
    for (const d of deletions) {
      if (typeof d?.user !== 'string' || !scramMechanisms.includes(d.mechanism)) return 'a SCRAM deletion names a user and a mechanism';
    }
    for (const u of upsertions) {
      const problem = recordProblem(u);
      if (problem) return problem;
    }
    const after = new Set(this.users.keys());
    for (const u of upsertions) after.add(u.user);
    if (after.size > SCRAM_USERS_MAX && after.size > this.users.size) return `at most ${SCRAM_USERS_MAX} users may have SCRAM credentials`;
    for (const d of deletions) {
      const mechanisms = this.users.get(d.user);
      mechanisms?.delete(d.mechanism);
      if (mechanisms?.size === 0) this.users.delete(d.user);
    }
    for (const u of upsertions) this.set(u);
    return null;
  }

  records(): ScramCredentialRecord[] {
    const out: ScramCredentialRecord[] = [];
    for (const { user, mechanisms } of this.list()) for (const { mechanism } of mechanisms) out.push(toRecord(user, this.get(user, mechanism)!));
    return out;
  }

  get size(): number {
    return this.users.size;
  }

  private set(record: ScramCredentialRecord): void {
    let mechanisms = this.users.get(record.user);
    if (!mechanisms) {
      mechanisms = new Map();
      this.users.set(record.user, mechanisms);
    }
    mechanisms.set(record.mechanism, fromRecord(record));
  }
}
