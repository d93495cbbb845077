// What the page reads from the broker that served it: the admin API (JSON) and /metrics.
const REQUEST_TIMEOUT_MS = 3000;

/** The broker wants a login (http.auth is on and the session cookie is missing or ended). */
export class LoginRequired extends Error {}

export async function getJson(path) {
  const res = await fetch(path, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), cache: 'no-store' });
  if (res.status === 401) throw new LoginRequired((await res.json().catch(() => ({}))).message ?? 'log in');
  if (!res.ok) throw new Error(`${path}: ${res.status}`);
  return res.json();
}

/** POST /v1/auth/login: {token} or {username, password}; the broker answers with the session cookie. */
export async function login(body) {
  const res = await fetch('/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.message ?? `login: ${res.status}`);
  return answer;
}

/** Sums of the named series in a Prometheus text exposition (every label combination added). */
export async function metricSums(names) {
  const res = await fetch('/metrics', { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), cache: 'no-store' });
  if (res.status === 401) throw new LoginRequired('log in');
  if (!res.ok) throw new Error(`/metrics: ${res.status}`);
  const sums = Object.fromEntries(names.map((n) => [n, 0]));
  for (const line of (await res.text()).split('\n')) {
    if (line.startsWith('#')) continue;
    const name = line.slice(0, line.search(/[{ ]/));
    if (name in sums) sums[name] += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return sums;
}

/** Per-second rates from counters sampled over time, keeping the last `keep` rates of each. */
export class Rates {
  constructor(keep = 60) {
    this.keep = keep;
    this.last = null;
    this.history = {};
  }

  add(sums, atMs) {
    if (this.last) {
      const seconds = (atMs - this.last.atMs) / 1000;
      for (const [name, value] of Object.entries(sums)) {
        // A counter that went down belongs to a restarted broker: no rate for that step.
        const rate = seconds > 0 && value >= this.last.sums[name] ? (value - this.last.sums[name]) / seconds : 0;
        this.history[name] ??= [];
        const series = this.history[name];
        series.push(rate);
        if (series.length > this.keep) series.shift();
      }
    }
    this.last = { sums, atMs };
  }
}
