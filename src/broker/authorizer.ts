// The broker's authorizer: may this session do this operation on this resource? Every Kafka API
// handler asks before it acts (docs/security.md, "ACLs"). The ACLs live in the replicated
// metadata; the rules are src/security/acl.ts's.
//
// Produce and Fetch ask for every partition batch, so decisions are cached per session and
// dropped whenever the ACLs change (MetadataState.aclVersion) or the session's principal does
// (SASL re-authentication). With the authorizer off, `allowed` answers true at once.

import type { Logger } from 'pino';
import { LogOnce } from '../log/log-once.ts';
import type { MetadataState } from '../metadata/metadata-state.ts';
import { AclIndex, type AclOperationName, type ResourceTypeName } from '../security/acl.ts';
import type { Session } from '../security/session.ts';

export type { AclOperationName, ResourceTypeName } from '../security/acl.ts';

export interface Authorizer {
  /** False: every request is allowed (no authorizer configured, Kafka's default). */
  readonly enabled: boolean;
  /** Whether the session may do `operation` on the resource. Silent: for filtering (Metadata, ListGroups). */
  allowed(session: Session, operation: AclOperationName, resourceType: ResourceTypeName, resourceName: string): boolean;
  /** As allowed(), and a denial is logged (once a minute per principal, operation and resource): for a refused request. */
  check(session: Session, operation: AclOperationName, resourceType: ResourceTypeName, resourceName: string): boolean;
}

/** The authorizer of a broker without one: everything is allowed. */
export const allowEverything: Authorizer = {
  enabled: false,
  allowed: () => true,
  check: () => true,
};

/** Decisions one session holds at most; past this they start over (a client naming ever new topics). */
const DECISIONS_PER_SESSION_MAX = 4_096;
/** A denial of the same principal, operation and resource is logged at most once in this long. */
const DENIAL_LOG_INTERVAL_MS = 60_000;

interface SessionDecisions {
  aclVersion: number;
  principal: string;
  decisions: Map<string, boolean>;
}

export interface AclAuthorizerOptions {
  /** The applied metadata (its ACLs); read on every decision that is not cached. */
  metadata: () => MetadataState;
  /** Principals allowed everything (authorizer.super_users). */
  superUsers: readonly string[];
  logger: Logger;
}

/** The authorizer over the metadata's ACLs. */
export class AclAuthorizer implements Authorizer {
  readonly enabled = true;
  private readonly options: AclAuthorizerOptions;
  private readonly denials: LogOnce;
  private index: AclIndex | undefined;
  private indexVersion = -1;
  private readonly sessions = new WeakMap<Session, SessionDecisions>();

  constructor(options: AclAuthorizerOptions) {
    this.options = options;
    this.denials = new LogOnce(options.logger, { intervalMs: DENIAL_LOG_INTERVAL_MS });
  }

  allowed(session: Session, operation: AclOperationName, resourceType: ResourceTypeName, resourceName: string): boolean {
    const state = this.options.metadata();
    const version = state.aclVersion;
    let cached = this.sessions.get(session);
    if (!cached || cached.aclVersion !== version || cached.principal !== session.principal || cached.decisions.size >= DECISIONS_PER_SESSION_MAX) {
      cached = { aclVersion: version, principal: session.principal, decisions: new Map() };
      this.sessions.set(session, cached);
    }
    const key = `${operation}\u0000${resourceType}\u0000${resourceName}`;
    const known = cached.decisions.get(key);
    if (known !== undefined) return known;
    if (!this.index || this.indexVersion !== version) {
      this.index = new AclIndex(state.acls(), this.options.superUsers);
      this.indexVersion = version;
    }
    const decision = this.index.allowed(session, operation, resourceType, resourceName);
    cached.decisions.set(key, decision);
    return decision;
  }

  check(session: Session, operation: AclOperationName, resourceType: ResourceTypeName, resourceName: string): boolean {
    if (this.allowed(session, operation, resourceType, resourceName)) return true;
    this.denials.log(
      'info',
      `${session.principal}\u0000${operation}\u0000${resourceType}\u0000${resourceName}`,
      { principal: session.principal, host: session.host, operation, resourceType, resourceName },
      'request denied by ACLs',
    );
    return false;
  }
}

/** The authorizer the config asks for. */
export function createAuthorizer(enabled: boolean, options: AclAuthorizerOptions): Authorizer {
  return enabled ? new AclAuthorizer(options) : allowEverything;
}
