// What a request presents to prove who it is (docs/security.md, "Operations surface"): an
// `Authorization: Bearer <token>` or `Authorization: Basic <base64 user:password>` header
// (RFC 6750, RFC 7617), or the dashboard's login cookie. Pure: headers in, credentials out.

import { createHash, timingSafeEqual } from 'node:crypto';

/** The cookie the dashboard's login sets (login-sessions.ts). */
export const SESSION_COOKIE = 'runnel_session';

/** The longest Authorization or Cookie value read; a token, a user and a password fit in far less. */
export const CREDENTIAL_CHARS_MAX = 8192;

export type Presented =
  | { kind: 'bearer'; token: string }
  | { kind: 'basic'; user: string; password: string }
  | { kind: 'cookie'; sessionId: string }
  /** An Authorization header this broker cannot read (another scheme, bad base64, no colon). */
  | { kind: 'malformed'; why: string }
  | { kind: 'none' };

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined || header.length > CREDENTIAL_CHARS_MAX) return undefined;
  for (const part of header.split(';')) {
    const equals = part.indexOf('=');
    if (equals !== -1 && part.slice(0, equals).trim() === name) return part.slice(equals + 1).trim();
  }
  return undefined;
}

/** The credentials in the request's headers; the Authorization header wins over the cookie. */
export function presentedCredentials(authorization: string | undefined, cookie: string | undefined): Presented {
  if (authorization !== undefined) {
    if (authorization.length > CREDENTIAL_CHARS_MAX)
      return { kind: 'malformed', why: `the Authorization header is longer than ${CREDENTIAL_CHARS_MAX} characters` };
    const space = authorization.indexOf(' ');
    const scheme = (space === -1 ? authorization : authorization.slice(0, space)).toLowerCase();
    const value = space === -1 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'bearer' && value !== '') return { kind: 'bearer', token: value };
    if (scheme === 'basic' && value !== '') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) return { kind: 'malformed', why: 'the Basic credentials are not base64 of "user:password"' };
      return { kind: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    }
    return { kind: 'malformed', why: 'the Authorization header is neither "Bearer <token>" nor "Basic <credentials>"' };
  }
  const sessionId = cookieValue(cookie, SESSION_COOKIE);
  if (sessionId !== undefined && sessionId !== '') return { kind: 'cookie', sessionId };
  return { kind: 'none' };
}

/** Compares two secrets in time that depends on neither's content nor length (both are hashed first). */
export function secretsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
