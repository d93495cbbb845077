// The dashboard (docs/dashboard.md): GET / serves its page and /dashboard/<file> its ES modules
// and stylesheet. They are plain files next to this one, read once when the app is built (a few
// KiB), so the page works without internet and without a build step. Only the files listed here
// are served: a request names a key of this list, never a path on disk.

import { readFileSync } from 'node:fs';
import type { HttpApp } from '../server.ts';
import { ApiError } from '../api-errors.ts';

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** The page's assets; the browser imports the modules by these names. */
const ASSET_FILES = ['app.js', 'api.js', 'panes.js', 'tails.js', 'sparkline.js', 'dashboard.css'] as const;

interface Asset {
  body: string;
  contentType: string;
}

function load(file: string): Asset {
  const body = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
  return { body, contentType: CONTENT_TYPES[file.slice(file.lastIndexOf('.') + 1)]! };
}

export function registerDashboard(app: HttpApp): void {
  const page = load('index.html');
  const assets = new Map(ASSET_FILES.map((f) => [f, load(f)]));
  // The page is small and changes with the package only; no-cache makes a browser revalidate
  // after an upgrade instead of running an old module against a new API.
  app.get('/', async (_request, reply) => reply.header('cache-control', 'no-cache').type(page.contentType).send(page.body));
  app.get<{ Params: { file: string } }>('/dashboard/:file', async (request, reply) => {
    const asset = assets.get(request.params.file as (typeof ASSET_FILES)[number]);
    if (!asset) throw new ApiError(404, 'NOT_FOUND', `no dashboard file "${request.params.file}"`);
    return reply.header('cache-control', 'no-cache').type(asset.contentType).send(asset.body);
  });
}
