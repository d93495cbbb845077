// SASL users' SCRAM credentials through Kafka's own APIs (KIP-554): the checks of
// AlterUserScramCredentials and DescribeUserScramCredentials, with Kafka's error codes and
// messages, and the bootstrap user. Changes are one alterScramCredentials metadata command, which
// a broker that is not the controller forwards to it (as CreateTopics does).

import { randomBytes } from 'node:crypto';
import { ErrorCode } from '../protocol/errors.ts';
import type { MetadataCommand, MetadataState } from '../metadata/metadata-state.ts';
import { toRecord, type ScramCredentialRecord, type ScramDeletion } from '../metadata/scram-credentials.ts';
import { credentialFromPassword, credentialFromSalted, iterationsProblem, scramMechanismOfCode } from '../security/credentials.ts';
import { scramIterationsMin, scramMechanismCode, scramMechanisms, type ScramMechanism } from '../security/scram-crypto.ts';
import type { AlterUserScramCredentialsRequest } from '../protocol/apis/alter-user-scram-credentials.ts';
import type { DescribeUserScramCredentialsResponse } from '../protocol/apis/describe-user-scram-credentials.ts';
import { proposeSafely } from './topic-admin.ts';
import type { BrokerServices } from './services.ts';

export interface UserOutcome {
  user: string;
  errorCode: number;
  errorMessage: string | null;
}

/** What an AlterUserScramCredentials request does: an error per refused user, one command for the others. */
export interface AlterPlan {
  refused: Map<string, UserOutcome>;
  /** The users whose alterations are all in `command`, in request order. */
  accepted: string[];
  command: Extract<MetadataCommand, { type: 'alterScramCredentials' }> | null;
}

const saltedBytesMin = 1;

/**
 * Checks every alteration the way Kafka does: a user with any bad alteration has none applied
 * (empty name: UNACCEPTABLE_CREDENTIAL; unknown mechanism: UNSUPPORTED_SASL_MECHANISM; the same
 * user and mechanism twice: DUPLICATE_RESOURCE; iterations outside 4096..16384 or an empty salt:
 * UNACCEPTABLE_CREDENTIAL; deleting a credential that is not there: RESOURCE_NOT_FOUND).
 */
export function planAlterations(state: MetadataState, request: AlterUserScramCredentialsRequest): AlterPlan {
  const refused = new Map<string, UserOutcome>();
  const refuse = (user: string, errorCode: number, errorMessage: string) => {
    if (!refused.has(user)) refused.set(user, { user, errorCode, errorMessage });
  };
  const seen = new Set<string>();
  const order: string[] = [];
  const all = [
    ...request.deletions.map((d) => ({ ...d, upsert: null })),
    ...request.upsertions.map((u) => ({ name: u.name, mechanism: u.mechanism, upsert: u })),
  ];
  for (const a of all) {
    if (!order.includes(a.name)) order.push(a.name);
    const key = `${a.name}\0${a.mechanism}`;
    if (seen.has(key)) refuse(a.name, ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request');
    seen.add(key);
  }
  const deletions: ScramDeletion[] = [];
  const upsertions: ScramCredentialRecord[] = [];
  for (const a of all) {
    if (a.name === '') {
      refuse(a.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty');
      continue;
    }
    const mechanism = scramMechanismOfCode(a.mechanism);
    if (!mechanism) {
      refuse(a.name, ErrorCode.UNSUPPORTED_SASL_MECHANISM, `Unknown SCRAM mechanism ${a.mechanism}`);
      continue;
    }
    if (!a.upsert) {
      if (!state.scramCredential(a.name, mechanism)) {
        refuse(a.name, ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist');
      }
      deletions.push({ user: a.name, mechanism });
      continue;
    }
    const problem = iterationsProblem(a.upsert.iterations);
    if (problem) refuse(a.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, problem);
    else if (a.upsert.salt.length === 0) refuse(a.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salt must not be empty');
    else if (a.upsert.saltedPassword.length < saltedBytesMin) refuse(a.name, ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Salted password must not be empty');
    else upsertions.push(toRecord(a.name, credentialFromSalted(mechanism, a.upsert.salt, a.upsert.iterations, a.upsert.saltedPassword)));
  }
  const accepted = order.filter((user) => !refused.has(user));
  const keep = new Set(accepted);
  const command =
    accepted.length === 0
      ? null
      : {
          type: 'alterScramCredentials' as const,
          deletions: deletions.filter((d) => keep.has(d.user)),
          upsertions: upsertions.filter((u) => keep.has(u.user)),
        };
  return { refused, accepted, command };
}

/** Applies an AlterUserScramCredentials request; one result per user named, in request order. */
export async function alterUserScramCredentials(services: BrokerServices, request: AlterUserScramCredentialsRequest): Promise<UserOutcome[]> {
  const plan = planAlterations(services.controller.state, request);
  let applied: { errorCode: number; errorMessage: string | null } = { errorCode: ErrorCode.NONE, errorMessage: null };
  if (plan.command) {
    const result = await proposeSafely(services, plan.command);
    if (!result.ok) applied = { errorCode: ErrorCode[result.error], errorMessage: result.message };
  }
  const users = [...new Set([...request.deletions.map((d) => d.name), ...request.upsertions.map((u) => u.name)])];
  return users.map((user) => plan.refused.get(user) ?? { user, ...applied });
}

type DescribeResult = DescribeUserScramCredentialsResponse['results'][number];

/** DescribeUserScramCredentials: null or no names describes every user with a credential. */
export function describeUserScramCredentials(state: MetadataState, names: string[] | null): DescribeResult[] {
  const known = new Map(state.scramUsers().map((u) => [u.user, u]));
  const infos = (user: string) => known.get(user)!.mechanisms.map(({ mechanism, iterations }) => ({ mechanism: scramMechanismCode[mechanism], iterations }));
  if (names === null || names.length === 0) {
    return [...known.keys()].map((user) => ({ user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(user) }));
  }
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts.keys()].map((user) => {
    if (counts.get(user)! > 1) {
      return {
        user,
        errorCode: ErrorCode.DUPLICATE_RESOURCE,
        errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request',
        credentialInfos: [],
      };
    }
    if (!known.has(user)) {
      return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist', credentialInfos: [] };
    }
    return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos(user) };
  });
}

/** The environment variable holding the bootstrap user's password; read at start, never logged. */
export const BOOTSTRAP_PASSWORD_ENV = 'RUNNEL_BOOTSTRAP_PASSWORD';

/**
 * sasl.bootstrap_user: on a first start (no such user yet) with the password in the environment,
 * creates the user with SCRAM-SHA-256 and SCRAM-SHA-512 credentials (4096 iterations) through the
 * controller, as AlterUserScramCredentials would. Returns what happened, for one log line.
 */
export async function createBootstrapUser(
  services: BrokerServices,
  user: string,
  password: string | undefined,
  salt: (bytes: number) => Buffer = randomBytes,
): Promise<'created' | 'exists' | 'no-password' | { failed: string }> {
  const state = services.controller.state;
  if (scramMechanisms.some((m) => state.scramCredential(user, m))) return 'exists';
  if (password === undefined || password === '') return 'no-password';
  const upsertions = scramMechanisms.map((mechanism: ScramMechanism) =>
    toRecord(user, credentialFromPassword(mechanism, password, salt(32), scramIterationsMin)),
  );
  const result = await proposeSafely(services, { type: 'alterScramCredentials', deletions: [], upsertions });
  return result.ok ? 'created' : { failed: `${result.error}: ${result.message}` };
}
