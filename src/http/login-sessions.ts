// The dashboard's logins: a browser cannot set an Authorization header on a WebSocket, and a
// password checked on every request costs a PBKDF2 each (basic mode), so the dashboard posts its
// credentials once to POST /v1/auth/login and gets a random session id in an HttpOnly,
// SameSite=Strict cookie. A session ends LOGIN_SESSION_IDLE_MS after its last use, at
// LOGIN_SESSION_MS_MAX after the login whatever happens, or at logout; at most LOGIN_SESSIONS_MAX
// are kept (the oldest login goes first). Sessions live in memory: a restart logs everyone out.
// The clock comes in as `now`, so tests step it.

import { randomBytes } from 'node:crypto';

/** A dashboard left alone this long needs a new login. */
export const LOGIN_SESSION_IDLE_MS = 30 * 60_000;
/** However busy, a login lasts at most this long. */
export const LOGIN_SESSION_MS_MAX = 12 * 3_600_000;
/** Sessions kept at most; a script logging in in a loop evicts the oldest, not the broker's memory. */
export const LOGIN_SESSIONS_MAX = 1000;
/** Random bytes in a session id (256 bits). */
const SESSION_ID_BYTES = 32;

interface LoginSession {
  principal: string;
  createdAtMs: number;
  lastUsedAtMs: number;
}

export class LoginSessions {
  // Map order is login order: the first entry is the oldest login.
  private readonly sessions = new Map<string, LoginSession>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new session for `principal`; returns its id (the cookie's value). */
  create(principal: string): string {
    const id = randomBytes(SESSION_ID_BYTES).toString('base64url');
    while (this.sessions.size >= LOGIN_SESSIONS_MAX) this.sessions.delete(this.sessions.keys().next().value!);
    const nowMs = this.now();
    this.sessions.set(id, { principal, createdAtMs: nowMs, lastUsedAtMs: nowMs });
    return id;
  }

  /** The principal of a live session (and marks it used), or undefined for an unknown or ended one. */
  use(id: string): string | undefined {
    const session = this.sessions.get(id);
    if (session === undefined) return undefined;
    const nowMs = this.now();
    if (nowMs - session.lastUsedAtMs > LOGIN_SESSION_IDLE_MS || nowMs - session.createdAtMs > LOGIN_SESSION_MS_MAX) {
      this.sessions.delete(id);
      return undefined;
    }
    session.lastUsedAtMs = nowMs;
    return session.principal;
  }

  end(id: string): void {
    this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }
}
