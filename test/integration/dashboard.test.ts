// Issue 14, dashboard: the broker serves its dashboard page at GET / and the page's modules and
// stylesheet under /dashboard/, from the package itself (no internet, no build step), each with
// the content type a browser needs to run it (a module script served as text/plain is refused).
// Anything else under /dashboard/ is a 404: the route serves a fixed list, never a path it is given.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { buildHttpApp } from '../../src/http/server.ts';
import { clusterStatus } from '../helpers/node-status.ts';

const silent = pino({ level: 'silent' });

test('GET / serves the dashboard page, and its assets come with their content types', async () => {
  const app = buildHttpApp(clusterStatus, silent);
  try {
    const page = await app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html; charset=utf-8/);
    assert.match(page.body, /<title>Runnel dashboard<\/title>/);
    // Every asset the page names is served, so the page needs nothing from elsewhere.
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(assets.includes('/dashboard/app.js') && assets.includes('/dashboard/dashboard.css'), `the page names its assets: ${assets.join(', ')}`);
    for (const url of assets) assert.ok(url.startsWith('/dashboard/'), `${url} is served by the broker, not fetched from the internet`);

    const expected: Record<string, RegExp> = { '.js': /^text\/javascript; charset=utf-8/, '.css': /^text\/css; charset=utf-8/ };
    // Each asset, and every module a served module imports (breadth first: the page needs them all).
    const queue = [...assets];
    const seen = new Set(queue);
    while (queue.length > 0) {
      const url = queue.shift()!;
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, `${url} is served`);
      assert.match(String(res.headers['content-type']), expected[url.slice(url.lastIndexOf('.'))]!, url);
      for (const m of res.body.matchAll(/from '\.\/([a-z-]+\.js)'/g)) {
        const imported = `/dashboard/${m[1]}`;
        if (seen.has(imported)) continue;
        queue.push(imported);
        seen.add(imported);
      }
    }
    assert.ok(seen.has('/dashboard/sparkline.js'), 'a module imported by an imported module was followed');
  } finally {
    await app.close();
  }
});

test('GET /dashboard/ serves only its own files: other names and traversal attempts are 404', async () => {
  const app = buildHttpApp(clusterStatus, silent);
  try {
    for (const url of ['/dashboard/nope.js', '/dashboard/..%2Froutes.ts', '/dashboard/../server.ts', '/dashboard/routes.ts']) {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, url);
      assert.equal(res.json().error, 'NOT_FOUND', url);
    }
  } finally {
    await app.close();
  }
});
