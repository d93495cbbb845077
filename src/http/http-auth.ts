// Who may use the HTTP server (docs/security.md, "Operations surface"): with http.auth.mode
// "token" a request needs `Authorization: Bearer <the token of http.auth.token_file>`, with
// "basic" `Authorization: Basic` of a user and password the SCRAM credentials confirm (the ones
// SASL checks), and in either mode the dashboard's login cookie (login-sessions.ts) will do.
// Every route needs them except the dashboard's page and assets (static files, so the login form
// can show), the login routes themselves and, with http.auth.metrics_open, /metrics and the
// probes (/health, /v1/health, /v1/ready). A refusal is 401 with WWW-Authenticate and the API's
// {error, message} body; it is logged once per client address a minute, never with what was sent.
//
// The principal of a request: `User:<name>` in basic mode, TOKEN_PRINCIPAL for the token (the
// operator's credential: list it in authorizer.super_users), User:ANONYMOUS with auth off.

import type { FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import type { HttpAuthMode } from '../config/index.ts';
import { LogOnce } from '../log/index.ts';
import { ANONYMOUS_PRINCIPAL } from '../security/session.ts';
import { AuthAttempts } from './auth-attempts.ts';
import { type Presented, presentedCredentials, SESSION_COOKIE, secretsEqual } from './auth-credentials.ts';
import { errorBody } from './api-errors.ts';
import { LOGIN_SESSION_IDLE_MS, LoginSessions } from './login-sessions.ts';
import type { HttpApp } from './server.ts';

/** The principal a request authenticated by the token acts as. */
export const TOKEN_PRINCIPAL = 'User:admin';

/** The realm named in WWW-Authenticate. */
const REALM = 'runnel';

/** A refusal from one client address is logged at most once per this interval. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

/** Longest user name and password a login or a Basic header may carry. */
const USER_CHARS_MAX = 256;
const PASSWORD_CHARS_MAX = 1024;
/** A token longer than a secret file can hold (cluster-auth.ts SECRET_FILE_BYTES_MAX) cannot match. */
const TOKEN_CHARS_MAX = 4096;

export interface HttpAuthOptions {
  mode: HttpAuthMode;
  /** token mode: the token (http.auth.token_file's content). */
  token: string | null;
  /** basic mode: whether `password` is `user`'s, by the user's stored SCRAM credentials. */
  checkPassword: ((user: string, password: string) => boolean) | null;
  /** http.auth.metrics_open */
  metricsOpen: boolean;
  /** Served over HTTPS: the login cookie is then Secure. */
  secure: boolean;
  /** The clock of login sessions and refusal counts; injectable for tests. */
  now?: () => number;
}

/** Routes anyone may ask (method and route pattern). */
const OPEN_ROUTES = new Set(['GET /', 'GET /dashboard/:file', 'POST /v1/auth/login', 'POST /v1/auth/logout', 'GET /v1/auth/session']);
/** Routes open with http.auth.metrics_open, for Prometheus and Kubernetes probes. */
const PROBE_ROUTES = new Set(['GET /metrics', 'GET /health', 'GET /v1/health', 'GET /v1/ready']);

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request (`User:<name>`), set before any handler runs. */
    principal: string;
  }
}

type Verdict = { ok: true; principal: string; byCookie: boolean } | { ok: false; reason: string };

interface LoginBody {
  token?: string;
  username?: string;
  password?: string;
}

const LOGIN_SCHEMA = {
  summary: 'Log in (the dashboard): a token or a user and password; sets the session cookie',
  tags: ['auth'],
  body: {
    type: 'object',
    properties: {
      token: { type: 'string', maxLength: TOKEN_CHARS_MAX },
      username: { type: 'string', minLength: 1, maxLength: USER_CHARS_MAX },
      password: { type: 'string', maxLength: PASSWORD_CHARS_MAX },
    },
    additionalProperties: false,
  },
};

/** The request's origin matches the host it was sent to (a cookie must not be used from another site's page). */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

export class HttpAuth {
  readonly mode: HttpAuthMode;
  private readonly options: HttpAuthOptions;
  private readonly sessions: LoginSessions;
  private readonly attempts: AuthAttempts;
  private refusals: LogOnce | null = null;

  constructor(options: HttpAuthOptions) {
    this.options = options;
    this.mode = options.mode;
    this.sessions = new LoginSessions(options.now);
    this.attempts = new AuthAttempts(options.now);
  }

  private challenge(): string {
    return this.mode === 'basic' ? `Basic realm="${REALM}", charset="UTF-8"` : `Bearer realm="${REALM}"`;
  }

  private howTo(): string {
    return this.mode === 'basic'
      ? 'send "Authorization: Basic" with a user and password (runnel: --http-user and RUNNEL_HTTP_PASSWORD)'
      : 'send "Authorization: Bearer <token>" with the token of http.auth.token_file (runnel: --http-token-file or RUNNEL_HTTP_TOKEN)';
  }

  private checkToken(token: string): Verdict {
    if (this.mode !== 'token') return { ok: false, reason: `a bearer token was sent, but http.auth.mode is "${this.mode}"` };
    if (token.length > TOKEN_CHARS_MAX || !secretsEqual(token, this.options.token!)) return { ok: false, reason: 'wrong token' };
    return { ok: true, principal: TOKEN_PRINCIPAL, byCookie: false };
  }

  private checkUser(user: string, password: string): Verdict {
    if (this.mode !== 'basic') return { ok: false, reason: `a user and password were sent, but http.auth.mode is "${this.mode}"` };
    if (user.length > USER_CHARS_MAX || password.length > PASSWORD_CHARS_MAX || !this.options.checkPassword!(user, password)) {
      return { ok: false, reason: 'unknown user or wrong password' };
    }
    return { ok: true, principal: `User:${user}`, byCookie: false };
  }

  private verdict(presented: Presented): Verdict {
    switch (presented.kind) {
      case 'none':
        return { ok: false, reason: 'no credentials' };
      case 'malformed':
        return { ok: false, reason: presented.why };
      case 'bearer':
        return this.checkToken(presented.token);
      case 'basic':
        return this.checkUser(presented.user, presented.password);
      case 'cookie': {
        const principal = this.sessions.use(presented.sessionId);
        return principal === undefined ? { ok: false, reason: 'the login session ended; log in again' } : { ok: true, principal, byCookie: true };
      }
    }
  }

  /** Answers 401; `guessed`: a token or password was checked and wrong (counted against the client's attempts). */
  private refuse(request: FastifyRequest, reply: FastifyReply, reason: string, guessed: boolean): FastifyReply {
    if (guessed) this.attempts.failed(request.ip);
    // The reason names what kind of credential failed, never what was sent.
    this.refusals?.warn(
      `auth|${request.ip}`,
      { client: request.ip, method: request.method, url: request.routeOptions.url ?? request.url.split('?')[0]!.slice(0, 200), reason },
      'HTTP request refused: not authenticated',
    );
    const message = `not authenticated (${reason}): ${this.howTo()}`;
    return reply
      .code(401)
      .header('www-authenticate', this.challenge())
      .send(errorBody(401, 'UNAUTHENTICATED', message));
  }

  /** False (and answered 429) while the client has used up its wrong guesses. */
  private admit(request: FastifyRequest, reply: FastifyReply): boolean {
    const waitMs = this.attempts.blockedForMs(request.ip);
    if (waitMs === 0) return true;
    const seconds = Math.ceil(waitMs / 1000);
    void reply
      .code(429)
      .header('retry-after', String(seconds))
      .send(errorBody(429, 'TOO_MANY_ATTEMPTS', `too many refused credentials from this address; try again in ${seconds} s`));
    return false;
  }

  /** The check every route passes through; sets request.principal. Returns the reply when it answered. */
  private check(request: FastifyRequest, reply: FastifyReply): FastifyReply | undefined {
    request.principal = ANONYMOUS_PRINCIPAL;
    if (this.mode === 'none') return undefined;
    // fastify answers HEAD with the GET route; the two are open or closed together.
    const route = `${request.method === 'HEAD' ? 'GET' : request.method} ${request.routeOptions.url ?? ''}`;
    if (OPEN_ROUTES.has(route) || (this.options.metricsOpen && PROBE_ROUTES.has(route))) return undefined;
    if (!this.admit(request, reply)) return reply;
    const presented = presentedCredentials(request.headers.authorization, request.headers.cookie);
    const verdict = this.verdict(presented);
    if (!verdict.ok) return this.refuse(request, reply, verdict.reason, presented.kind === 'bearer' || presented.kind === 'basic');
    // A cookie is sent by the browser whatever page asks: a request from another site's page must not ride on it.
    if (verdict.byCookie && !sameOrigin(request)) {
      return reply.code(403).send(errorBody(403, 'FORBIDDEN_ORIGIN', 'a request with the login cookie must come from a page this broker served'));
    }
    request.principal = verdict.principal;
    return undefined;
  }

  private cookie(value: string, maxAgeS: number): string {
    return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${this.options.secure ? '; Secure' : ''}`;
  }

  /** The hook and the login routes; call before any other route is added. */
  register(app: HttpApp): void {
    this.refusals = new LogOnce(app.log, { intervalMs: REFUSAL_LOG_INTERVAL_MS, ...(this.options.now && { now: this.options.now }) });
    app.decorateRequest('principal', ANONYMOUS_PRINCIPAL);
    // preParsing, not onRequest: the body is not read before the check, and @fastify/websocket's own
    // onRequest hook (in its plugin's scope, so after the root's) has marked an upgrade request by
    // then, so the socket of a refused upgrade is closed after the answer instead of left open.
    // Callback style: a hook that answered does not call done, and fastify runs nothing further.
    app.addHook('preParsing', (request, reply, payload, done) => {
      if (this.check(request, reply) === undefined) done(null, payload);
    });

    // What the dashboard asks first: whether to show its login form. Only the cookie is looked at
    // (a password here would be a free guess outside the count of refusals).
    app.get(
      '/v1/auth/session',
      { schema: { summary: 'The authentication mode and who the login cookie names (the dashboard asks first)', tags: ['auth'] } as FastifySchema },
      async (request) => {
        if (this.mode === 'none') return { mode: this.mode, principal: ANONYMOUS_PRINCIPAL };
        const presented = presentedCredentials(undefined, request.headers.cookie);
        return { mode: this.mode, principal: presented.kind === 'cookie' ? (this.sessions.use(presented.sessionId) ?? null) : null };
      },
    );

    app.post<{ Body: LoginBody }>('/v1/auth/login', { schema: LOGIN_SCHEMA }, async (request, reply) => {
      if (this.mode === 'none') return reply.code(400).send(errorBody(400, 'AUTH_OFF', 'http.auth.mode is "none": there is nothing to log in to'));
      if (!this.admit(request, reply)) return reply;
      const { token, username, password } = request.body;
      const verdict: Verdict =
        token !== undefined
          ? this.checkToken(token)
          : username !== undefined && password !== undefined
            ? this.checkUser(username, password)
            : { ok: false, reason: 'no credentials' };
      if (!verdict.ok) return this.refuse(request, reply, verdict.reason, true);
      const id = this.sessions.create(verdict.principal);
      return reply.header('set-cookie', this.cookie(id, LOGIN_SESSION_IDLE_MS / 1000)).send({ principal: verdict.principal });
    });

    app.post(
      '/v1/auth/logout',
      { schema: { summary: 'Log out: ends the login session and clears its cookie', tags: ['auth'] } as FastifySchema },
      async (request, reply) => {
        const presented = presentedCredentials(undefined, request.headers.cookie);
        if (presented.kind === 'cookie') this.sessions.end(presented.sessionId);
        return reply.header('set-cookie', this.cookie('', 0)).send({ ok: true });
      },
    );
  }
}
