// Handler tests of the authorizer: a RequestContext carrying a session of a chosen principal (as
// SASL or mTLS would set it), and the handlers of an in-process broker to call with it.

import type { AnyApiHandler, RequestContext } from '../../src/broker/handler.ts';
import { createHandlers } from '../../src/broker/handlers/index.ts';
import type { BrokerServices } from '../../src/broker/services.ts';
import { ANY_ACL, filterToWire, type AclBinding } from '../../src/security/acl.ts';
import type { Session } from '../../src/security/session.ts';

/**
 * A session of `principal` from `host` on the broker's default listener (PLAINTEXT: answers name
 * the endpoints of the listener a request came in on, so it must be one the broker has).
 */
export function sessionOf(principal: string, host = '127.0.0.1'): Session {
  return { listener: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host, principal };
}

let connections = 0;

/** A context of one request of `session` at `apiVersion`. */
export function contextOf(session: Session, apiVersion: number): RequestContext {
  return {
    apiVersion,
    correlationId: 1,
    clientId: 'acl-test',
    connectionId: ++connections,
    remoteAddress: session.host,
    session,
    signal: new AbortController().signal,
  };
}

/** Calls the broker's handler of `apiKey` as `session` would (the request decoded at `apiVersion`). */
export function callerOf(services: BrokerServices): (session: Session, apiKey: number, apiVersion: number, request: unknown) => Promise<any> {
  const handlers = createHandlers(services);
  return async (session, apiKey, apiVersion, request) => {
    const handler = handlers.get(apiKey) as AnyApiHandler;
    return handler.handle(request, contextOf(session, apiVersion));
  };
}

/** A LITERAL ALLOW of `operation` on a topic for `principal` from any host; `over` changes any field. */
export function allow(principal: string, operation: AclBinding['operation'], over: Partial<AclBinding> = {}): AclBinding {
  return { resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal, host: '*', operation, permission: 'ALLOW', ...over };
}

/** A DescribeAcls request (or DeleteAcls filter) matching every binding: ANY codes, null names. */
export const ANY_FILTER_WIRE = filterToWire(ANY_ACL);
