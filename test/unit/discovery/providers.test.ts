// issue 11 (join, discovery seam): cluster.discovery picks the seed provider; static names the
// founders of initial_members, manual names only what an operator joined.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, defaultConfig, loadConfig } from '../../../src/config/index.ts';
import { createDiscovery, ManualDiscovery, StaticDiscovery } from '../../../src/discovery/index.ts';
import { MANUAL_SEEDS_MAX } from '../../../src/discovery/manual.ts';
import { captureLogger } from '../../helpers/log-capture.ts';

const NO_ENV = {};
const { logger } = captureLogger();
const discoveryOf = (type: 'static' | 'manual') => ({ ...defaultConfig().cluster.discovery, type });

test('cluster.discovery defaults to static and takes manual; anything else names the field', () => {
  assert.equal(loadConfig({ env: NO_ENV }).cluster.discovery.type, 'static');
  assert.equal(loadConfig({ env: { RUNNEL_CLUSTER__DISCOVERY__TYPE: 'manual' } }).cluster.discovery.type, 'manual');
  assert.throws(
    () => loadConfig({ env: { RUNNEL_CLUSTER__DISCOVERY__TYPE: 'gossip' } }),
    (err: unknown) => err instanceof ConfigError && /cluster\.discovery\.type/.test(err.message),
  );
});

test('static discovery: the founders of initial_members, with their node ids as hints', async () => {
  const d = createDiscovery(
    {
      discovery: discoveryOf('static'),
      initial_members: [
        { node_id: 1, address: '127.0.0.1:9192' },
        { node_id: 2, address: '127.0.0.1:9193' },
      ],
    },
    logger,
  );
  assert.ok(d instanceof StaticDiscovery);
  assert.deepEqual(await d.seeds(), [
    { address: '127.0.0.1:9192', nodeId: 1 },
    { address: '127.0.0.1:9193', nodeId: 2 },
  ]);
});

test('manual discovery: no seeds until joined; a join is kept once; the list is bounded', async () => {
  const d = createDiscovery({ discovery: discoveryOf('manual'), initial_members: [{ node_id: 1, address: '127.0.0.1:9192' }] }, logger);
  assert.ok(d instanceof ManualDiscovery);
  assert.deepEqual(await d.seeds(), []);
  assert.equal(d.join('127.0.0.1:9300'), true);
  assert.equal(d.join('127.0.0.1:9300'), false);
  assert.deepEqual(await d.seeds(), [{ address: '127.0.0.1:9300' }]);
  for (let i = 1; i < MANUAL_SEEDS_MAX; i++) d.join(`127.0.0.1:${9300 + i}`);
  assert.throws(() => d.join('127.0.0.1:9999'), RangeError);
});
