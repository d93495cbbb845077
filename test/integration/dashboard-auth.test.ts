// issue 15, "Operations surface", the dashboard with http.auth.mode "token": headless Chromium
// (Debian's chromium, driven by playwright-core) opens the page, which shows its login form and
// nothing of the cluster; a wrong token is refused on the form; the right one shows the brokers
// pane and streams the broker's log over a WebSocket the login cookie authenticates (a browser
// cannot set headers on a WebSocket).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { createLogger, LogRing } from '../../src/log/index.ts';
import { startBrokerNode } from '../../src/node/broker-node.ts';
import { inProcessConfig } from '../helpers/in-process-broker.ts';

test('the dashboard asks for the token, refuses a wrong one, and with the right one shows the cluster and the live log', { timeout: 90_000 }, async () => {
  const { dataDir, config } = inProcessConfig('dashboard-auth');
  const token = randomBytes(24).toString('base64url');
  const tokenFile = join(dataDir, 'http-token');
  writeFileSync(tokenFile, token);
  chmodSync(tokenFile, 0o600);
  config.http.auth = { mode: 'token', token_file: tokenFile, metrics_open: false };
  const ring = new LogRing({ linesMax: 50, lineBytesMax: 4096 });
  const node = await startBrokerNode(config, createLogger({ level: 'info', format: 'json', ring, destination: { write: () => undefined } }), { logRing: ring });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], timeout: 30_000 });
    const page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`http://127.0.0.1:${node.http!.port}/`);

    await page.waitForSelector('#login:not([hidden])');
    assert.equal(await page.isVisible('#brokers'), false, 'nothing of the cluster shows before the login');
    assert.equal(await page.isVisible('#login-user'), false, 'token mode asks for a token only');
    await page.fill('#login-token', 'wrong');
    await page.click('#login-submit');
    await page.waitForFunction(() => document.getElementById('login-why')!.textContent!.includes('wrong token'));

    await page.fill('#login-token', token);
    await page.click('#login-submit');
    await page.waitForFunction(() => document.querySelectorAll('#brokers tr[data-health="up"]').length === 1);
    await page.waitForFunction(() => document.getElementById('logs')!.textContent!.includes('-- live'));
    assert.equal(await page.isVisible('#login'), false);
    const cookies = await page.context().cookies();
    assert.ok(
      cookies.some((c) => c.name === 'runnel_session' && c.httpOnly && c.sameSite === 'Strict'),
      'an HttpOnly SameSite=Strict session cookie, out of reach of the page script',
    );
    assert.deepEqual(pageErrors, [], 'the page ran without errors');
  } finally {
    await browser?.close();
    await node.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
