// Calls to a broker's HTTP admin API (the contract in docs/cli.md): JSON in, JSON out, and a
// refusal is a 4xx or 5xx with {"error": "..."}, which becomes the command's message (exit 1).

import { statusUrl } from '../status.ts';
import { CommandFailed } from './command.ts';
import { ADMIN_TIMEOUT_MS } from './target.ts';

function baseUrl(address: string): string {
  return statusUrl(address).replace(/\/status$/, '');
}

/** GET or POST `path` on the admin API at `address`; resolves with the parsed JSON body of a 2xx answer. */
export async function adminRequest(
  address: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = ADMIN_TIMEOUT_MS,
): Promise<unknown> {
  const url = `${baseUrl(address)}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      signal: AbortSignal.timeout(timeoutMs),
      headers: { ...headers, ...(body !== undefined && { 'content-type': 'application/json' }) },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    throw new CommandFailed(`cannot reach the admin API at ${url}: ${why} (is the broker running with http.enabled true? --admin HOST:PORT names it)`);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // Not JSON: reported below with the raw text.
  }
  if (!response.ok) {
    // Our routes answer {"error": "..."}; Fastify's own errors (no such route, bad JSON) {"error": "Not Found", "message": "..."}.
    const p = (parsed ?? {}) as { error?: unknown; message?: unknown; statusCode?: unknown };
    const error = p.statusCode === undefined ? (p.error ?? p.message) : (p.message ?? p.error);
    const detail = typeof error === 'string' ? error : text.slice(0, 200);
    if (response.status === 404 && /^Route .* not found$/.test(detail)) {
      throw new CommandFailed(`${method} ${path}: the broker at ${address} does not serve this route (HTTP 404: ${detail}); is it an older Runnel version?`);
    }
    throw new CommandFailed(`${method} ${path} refused by the broker at ${address} (HTTP ${response.status}): ${detail}`);
  }
  if (parsed === undefined) throw new CommandFailed(`${method} ${path}: the server at ${address} answered something that is not JSON; is it a Runnel broker?`);
  return parsed;
}
