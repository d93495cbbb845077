// Issue 14, dashboard end to end: headless Chromium (Debian's chromium, driven by playwright-core)
// opens the page a broker of a live 3-broker cluster serves at `/`. The page shows every broker of
// the metadata's list, up, and each partition's leader as the admin API names it; its topic tail
// shows a record kcat produced within a second of kcat's acknowledgement (acks=all: the record is
// committed then); its log pane streams the broker's log; and a broker killed with kill -9 turns
// red (the serving broker's peer link to it drops). A screenshot is saved under the OS temp dir.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { startCluster, type TestCluster } from '../helpers/cluster.ts';
import { describeRun, run } from '../helpers/run.ts';

const TOPIC = 'dash';
const PARTITIONS = 3;
/** The bound: a produced record shows in the tail pane within a second. */
const TAIL_SHOWS_MS_MAX = 1000;

async function http(cluster: TestCluster, nodeId: number, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`http://127.0.0.1:${cluster.member(nodeId).httpPort}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, json: await res.json() };
}

test('the dashboard shows the brokers and leaders, tails a record kcat produced, and turns a killed broker red', { timeout: 90_000 }, async (t) => {
  const cluster = await startCluster({ size: 3 });
  let browser: Browser | undefined;
  try {
    const created = await http(cluster, 1, 'POST', '/v1/topics', { name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    await cluster.waitFor('every partition has a leader', async () => {
      for (let p = 0; p < PARTITIONS; p++) if ((await cluster.leaderOf(`${TOPIC}-${p}`)) <= 0) return false;
      return true;
    });
    // The page is served by partition 0's leader, so the record produced there is committed on it when kcat is acknowledged.
    const served = await cluster.leaderOf(`${TOPIC}-0`);
    const victim = cluster.members.find((m) => m.nodeId !== served)!.nodeId;
    // The leaders as the serving broker's metadata names them, once every replica of the
    // partitions it leads is in sync (only a leader knows: isr is null elsewhere).
    let leaders: Record<string, number> = {};
    await cluster.waitFor('the serving broker knows every leader, all in sync', async () => {
      const { json } = await http(cluster, served, 'GET', `/v1/topics/${TOPIC}`);
      leaders = Object.fromEntries(json.partitions.map((p: any) => [`${TOPIC}-${p.partition}`, p.leader]));
      return json.partitions.every((p: any) => p.leader > 0 && (p.isr === null || p.isr.length === 3));
    });

    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'], timeout: 30_000 });
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.setDefaultTimeout(20_000);
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`http://127.0.0.1:${cluster.member(served).httpPort}/`);

    // Every broker, up; every partition with the leader the admin API names, none under-replicated.
    await page.waitForFunction(() => document.querySelectorAll('#brokers tr[data-health="up"]').length === 3);
    await page.waitForFunction(
      (expected) =>
        Object.entries(expected).every(
          ([name, leader]) => document.querySelector(`#leaders tr[data-partition="${name}"]`)?.getAttribute('data-leader') === String(leader),
        ),
      leaders,
    );
    // In-sync sets are the leaders' live view (a follower not heard from within an election timeout drops out), so wait for it.
    await page.waitForFunction(() => document.getElementById('under-replicated')!.dataset.count === '0');
    const leadsShown = await page.$$eval('#brokers tr[data-node]', (rows) =>
      rows.map((r) => [Number(r.getAttribute('data-node')), Number(r.querySelector('.leads')!.textContent)]),
    );
    for (const [node, leads] of leadsShown) assert.equal(leads, Object.values(leaders).filter((l) => l === node).length, `broker ${node}'s leader count`);

    // The log pane streams the serving broker's log (its ring first, then live).
    await page.waitForFunction(() => document.getElementById('logs')!.textContent!.includes('-- live'));

    // The tail pane: subscribe, produce with kcat, see the record within a second of the acknowledgement.
    await page.fill('#tail-topic', TOPIC);
    await page.click('#tail-start');
    await page.waitForFunction((topic) => document.getElementById('tail')!.textContent!.includes(`-- tailing ${topic}`), TOPIC);
    const value = `dashboard-${process.pid}-${Date.now()}`;
    const kcat = await run('kcat', ['-P', '-b', cluster.bootstrap, '-t', TOPIC, '-p', '0', '-K', ':', '-X', 'acks=all'], {
      input: `k1:${value}\n`,
      timeoutMs: 20_000,
    });
    assert.equal(kcat.code, 0, describeRun('kcat', ['-P'], kcat));
    const acked = Date.now();
    await page.waitForFunction((v) => document.getElementById('tail')!.textContent!.includes(v), value, { timeout: TAIL_SHOWS_MS_MAX });
    t.diagnostic(`the record showed ${Date.now() - acked} ms after kcat exited`);
    assert.match((await page.textContent('#tail'))!, new RegExp(`0@\\d+ \\S+ k1 = ${value}`));
    // The produce moved the produce rate (runnel_topic_records_in_total on partition 0's leader, differenced between refreshes).
    await page.waitForFunction(() => Number(document.querySelector('[data-metric="runnel_topic_records_in_total"]')?.getAttribute('data-peak')) > 0);

    // A broker killed with kill -9 turns red.
    await cluster.member(victim).broker.kill9();
    await page.waitForFunction((id) => document.querySelector(`#brokers tr[data-node="${id}"]`)?.getAttribute('data-health') === 'down', victim);
    const colour = await page.$eval(`#brokers tr[data-node="${victim}"] td.health`, (td) => getComputedStyle(td).color);
    assert.equal(colour, 'rgb(207, 34, 46)', 'the killed broker is shown in red');
    assert.equal(await page.locator('#brokers tr[data-health="up"]').count(), 2);
    // Partition 0, led by the serving broker, had a replica on it: under-replicated now (only a leader knows its in-sync set).
    await page.waitForFunction((name) => document.querySelector(`#leaders tr[data-partition="${name}"]`)?.classList.contains('under-replicated'), `${TOPIC}-0`);
    assert.ok(Number(await page.getAttribute('#under-replicated', 'data-count')) >= 1);

    const shot = join(tmpdir(), `runnel-dashboard-${process.pid}-${Date.now()}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    t.diagnostic(`screenshot: ${shot}`);
    console.log(`dashboard screenshot: ${shot}`);
    assert.deepEqual(pageErrors, [], 'the page ran without errors');
  } finally {
    await browser?.close();
    await cluster.stop();
  }
});
