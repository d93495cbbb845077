// Issue 14: the admin API (/v1/...), /openapi.json and /metrics against a real single-node broker,
// through fastify's inject() on the broker's own HTTP app. Writes go through the functions the
// Kafka APIs call, so the Kafka API and the admin API see each other's changes and refuse the same
// things; bad input gets a 4xx `{error, message}` naming the field, and leaves the broker serving.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startInProcessBroker, type InProcessBroker } from '../helpers/in-process-broker.ts';
import { apiByKey, ApiKey } from '../../src/protocol/apis/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { buildRecordBatch } from '../../src/protocol/record-batch.ts';
import { HTTP_BODY_BYTES_MAX, HTTP_PATH_PARAM_CHARS_MAX, type HttpApp } from '../../src/http/server.ts';
import { readFileSync } from 'node:fs';
import { parsePrometheus, sampleSum, hasSample } from '../helpers/prometheus.ts';

let broker: InProcessBroker;
let app: HttpApp;

before(async () => {
  broker = await startInProcessBroker('admin-api');
  app = broker.node.http!.app;
});

after(async () => {
  await broker?.close();
});

type Json = Record<string, any>;

async function call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await app.inject({ method, url, ...(body !== undefined && { payload: body as object }) });
  return { status: res.statusCode, json: res.body === '' ? {} : (res.json() as Json) };
}

function kafka(name: keyof typeof ApiKey, version: number, body: unknown): Promise<any> {
  return broker.client.request(apiByKey.get(ApiKey[name])!, version, body);
}

/** The refusal shape every admin route answers with. */
function assertRefused(res: { status: number; json: Json }, status: number, error: string, message?: RegExp): void {
  assert.equal(res.status, status, JSON.stringify(res.json));
  assert.equal(res.json.error, error, JSON.stringify(res.json));
  assert.equal(typeof res.json.message, 'string');
  if (message) assert.match(res.json.message, message);
}

async function scrape(): Promise<ReturnType<typeof parsePrometheus>> {
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain/);
  return parsePrometheus(res.body);
}

test('issue 14: health, readiness, cluster, brokers and Raft groups (and the /v1 aliases of the old routes)', async () => {
  assert.deepEqual((await call('GET', '/v1/health')).json, { ok: true });
  const ready = await call('GET', '/v1/ready');
  assert.equal(ready.status, 200, 'a registered single node with no groups to catch up is ready');
  assert.deepEqual(ready.json, { ready: true, reasons: [] });
  const cluster = await call('GET', '/v1/cluster');
  assert.equal(cluster.status, 200);
  assert.equal(cluster.json.nodeId, broker.node.nodeId);
  assert.equal(cluster.json.mode, 'single');
  assert.equal(cluster.json.brokers.length, 1);
  assert.equal(cluster.json.brokers[0].port, broker.node.port);
  assert.equal((await call('GET', `/v1/brokers/${broker.node.nodeId}`)).json.nodeId, broker.node.nodeId);
  assertRefused(await call('GET', '/v1/brokers/99'), 404, 'BROKER_NOT_FOUND', /broker 99/);
  assertRefused(await call('GET', '/v1/brokers/abc'), 400, 'INVALID_REQUEST', /params\.id/);
  assert.deepEqual((await call('GET', '/v1/raft/groups')).json, { nodeId: broker.node.nodeId, groups: [] });
  const [old, v1] = await Promise.all([call('GET', '/status'), call('GET', '/v1/status')]);
  assert.equal(v1.json.nodeId, old.json.nodeId);
});

test('issue 14: topics are created, described, reconfigured, grown and deleted, and the Kafka API sees the same', async () => {
  const created = await call('POST', '/v1/topics', { name: 'orders', partitions: 2, configs: { 'retention.ms': '60000' } });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.equal(created.json.partitionCount, 2);
  assert.equal(created.json.partitions[0].leader, broker.node.nodeId);
  assert.deepEqual(created.json.configs, { 'retention.ms': '60000' });
  // The same rule either way: CreateTopics refuses the name the admin API took, and the other way round.
  const again = await kafka('CreateTopics', 5, {
    topics: [{ name: 'orders', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }],
    timeoutMs: 5000,
    validateOnly: false,
  });
  assert.equal(again.topics[0].errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
  assertRefused(await call('POST', '/v1/topics', { name: 'orders' }), 409, 'TOPIC_ALREADY_EXISTS', /orders/);
  assertRefused(await call('POST', '/v1/topics', { name: 'bad/name' }), 400, 'INVALID_TOPIC_EXCEPTION');
  assertRefused(await call('POST', '/v1/topics', { name: 'x', configs: { 'retention.ms': 'soon' } }), 400, 'INVALID_CONFIG', /retention\.ms/);
  const dry = await call('POST', '/v1/topics', { name: 'dry-run', validateOnly: true });
  assert.equal(dry.status, 200);
  assertRefused(await call('GET', '/v1/topics/dry-run'), 404, 'UNKNOWN_TOPIC_OR_PARTITION', /dry-run/);

  const list = await call('GET', '/v1/topics');
  assert.ok(list.json.topics.some((t: Json) => t.name === 'orders' && t.partitionCount === 2));

  const configs = await call('PATCH', '/v1/topics/orders/configs', { set: { 'cleanup.policy': 'delete' }, delete: ['retention.ms'] });
  assert.equal(configs.status, 200, JSON.stringify(configs.json));
  const retention = configs.json.configs.find((c: Json) => c.name === 'retention.ms');
  assert.notEqual(retention.source, 'DYNAMIC_TOPIC_CONFIG', 'the override was deleted');
  assert.equal(configs.json.configs.find((c: Json) => c.name === 'cleanup.policy').source, 'DYNAMIC_TOPIC_CONFIG');
  const described = await kafka('DescribeConfigs', 4, {
    resources: [{ resourceType: 2, resourceName: 'orders', configurationKeys: ['cleanup.policy'] }],
    includeSynonyms: false,
    includeDocumentation: false,
  });
  assert.equal(described.results[0].configs[0].value, 'delete', 'DescribeConfigs sees the change made over HTTP');
  assertRefused(await call('PATCH', '/v1/topics/orders/configs', { set: { 'no.such.config': '1' } }), 400, 'INVALID_CONFIG', /no\.such\.config/);
  assertRefused(await call('PATCH', '/v1/topics/nope/configs', { set: { 'retention.ms': '1' } }), 404, 'UNKNOWN_TOPIC_OR_PARTITION');

  const grown = await call('POST', '/v1/topics/orders/partitions', { count: 3 });
  assert.equal(grown.status, 200, JSON.stringify(grown.json));
  assert.equal(grown.json.partitions.length, 3);
  assertRefused(await call('POST', '/v1/topics/orders/partitions', { count: 2 }), 400, 'INVALID_PARTITIONS', /larger/);
  const md = await broker.client.metadata(['orders']);
  assert.equal(md.topics[0].partitions.length, 3, 'Metadata sees the partitions added over HTTP');

  assertRefused(await call('DELETE', '/v1/topics/__consumer_offsets'), 404, 'UNKNOWN_TOPIC_OR_PARTITION');
  assert.equal((await call('DELETE', '/v1/topics/orders')).status, 200);
  assertRefused(await call('DELETE', '/v1/topics/orders'), 404, 'UNKNOWN_TOPIC_OR_PARTITION', /orders/);
});

test('issue 14: a consumer group shows its offsets and lag; its offsets are reset and it is deleted', async () => {
  assert.equal((await call('POST', '/v1/topics', { name: 'lagging', partitions: 1 })).status, 201);
  for (let i = 0; i < 5; i++) {
    const produced = await broker.client.produce('lagging', 0, buildRecordBatch({ records: [{ key: `k${i}`, value: 'v' }] }));
    assert.equal(produced.errorCode, 0);
  }
  // As a client does: FindCoordinator creates __consumer_offsets on first use.
  assert.equal((await kafka('FindCoordinator', 2, { key: 'readers', keyType: 0 })).errorCode, 0);
  const commit = await kafka('OffsetCommit', 7, {
    groupId: 'readers',
    generationIdOrMemberEpoch: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: 'lagging', partitions: [{ partitionIndex: 0, committedOffset: 2, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  assert.equal(commit.topics[0].partitions[0].errorCode, 0);
  const group = await call('GET', '/v1/groups/readers');
  assert.equal(group.status, 200, JSON.stringify(group.json));
  assert.deepEqual(group.json.offsets, [{ topic: 'lagging', partition: 0, committedOffset: 2, highWatermark: 5, lag: 3 }]);
  assert.equal(group.json.lag, 3);
  assert.ok((await call('GET', '/v1/groups')).json.groups.some((g: Json) => g.groupId === 'readers'));
  const lagMetrics = await scrape();
  assert.equal(sampleSum(lagMetrics, 'runnel_consumer_group_lag', { group: 'readers', topic: 'lagging', partition: '0' }), 3);

  const reset = await call('POST', '/v1/groups/readers/offsets', { topic: 'lagging', to: 'latest' });
  assert.equal(reset.status, 200, JSON.stringify(reset.json));
  assert.deepEqual(reset.json.offsets, [{ partition: 0, offset: 5 }]);
  const fetched = await kafka('OffsetFetch', 7, { groupId: 'readers', topics: [{ name: 'lagging', partitionIndexes: [0] }], requireStable: false });
  assert.equal(Number(fetched.topics[0].partitions[0].committedOffset), 5, 'OffsetFetch sees the reset');
  assert.deepEqual((await call('POST', '/v1/groups/readers/offsets', { topic: 'lagging', offset: 1 })).json.offsets, [{ partition: 0, offset: 1 }]);
  assertRefused(await call('POST', '/v1/groups/readers/offsets', { topic: 'lagging' }), 400, 'INVALID_REQUEST');
  assertRefused(await call('POST', '/v1/groups/readers/offsets', { topic: 'lagging', to: 'earliest', offset: 3 }), 400, 'INVALID_REQUEST');
  assertRefused(await call('POST', '/v1/groups/readers/offsets', { topic: 'nope', to: 'earliest' }), 404, 'UNKNOWN_TOPIC_OR_PARTITION', /nope/);
  assertRefused(
    await call('POST', '/v1/groups/readers/offsets', { topic: 'lagging', partitions: [7], to: 'earliest' }),
    404,
    'UNKNOWN_TOPIC_OR_PARTITION',
    /partition 7/,
  );

  assert.deepEqual((await call('DELETE', '/v1/groups/readers')).json, { groupId: 'readers', deleted: true });
  assertRefused(await call('GET', '/v1/groups/readers'), 404, 'GROUP_ID_NOT_FOUND');
  assertRefused(await call('DELETE', '/v1/groups/readers'), 404, 'GROUP_ID_NOT_FOUND');
});

test('issue 14: bad input is a 4xx naming what is wrong, and the broker goes on serving', async () => {
  const raw = (payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    app.inject({ method: 'POST', url: '/v1/topics', payload, headers });
  const malformed = await raw('{"name": "x",');
  assert.equal(malformed.statusCode, 400);
  assert.equal(malformed.json().error, 'INVALID_JSON');
  const huge = await raw(JSON.stringify({ name: 'x', configs: { 'retention.ms': 'x'.repeat(HTTP_BODY_BYTES_MAX) } }));
  assert.equal(huge.statusCode, 413);
  assert.equal(huge.json().error, 'BODY_TOO_LARGE');
  const notJson = await raw('name=x', { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(notJson.statusCode, 415);
  assertRefused(await call('POST', '/v1/topics', { name: 'x', partitons: 3 }), 400, 'INVALID_REQUEST', /unknown field "partitons"/);
  assertRefused(await call('POST', '/v1/topics', { partitions: 3 }), 400, 'INVALID_REQUEST', /missing field "name"/);
  assertRefused(await call('POST', '/v1/topics', { name: 'x', partitions: 'many' }), 400, 'INVALID_REQUEST', /body\.partitions/);
  assertRefused(await call('POST', '/v1/topics', { name: 'x', partitions: 0 }), 400, 'INVALID_REQUEST', /body\.partitions/);
  assertRefused(await call('POST', '/v1/topics', [1, 2]), 400, 'INVALID_REQUEST');
  assertRefused(await call('PATCH', '/v1/topics/x/configs', {}), 400, 'INVALID_REQUEST');
  assertRefused(await call('GET', '/v1/topics/no-such-topic'), 404, 'UNKNOWN_TOPIC_OR_PARTITION', /no-such-topic/);
  assertRefused(await call('GET', '/v1/nothing-here'), 404, 'NOT_FOUND');
  assertRefused(await call('GET', `/v1/topics/${'t'.repeat(249 + 1)}`), 400, 'INVALID_REQUEST', /params\.topic/);
  assertRefused(await call('GET', `/v1/topics/${'t'.repeat(HTTP_PATH_PARAM_CHARS_MAX + 1)}`), 414, 'URI_TOO_LONG', /longer/);
  // Unaffected: both listeners answer, and the refused requests created nothing.
  assert.deepEqual((await call('GET', '/v1/health')).json, { ok: true });
  const md = await broker.client.metadata(null);
  assert.ok(!md.topics.some((t: Json) => t.name === 'x'));
});

test('issue 14: /openapi.json documents every /v1 route, generated from the schemas the routes validate with', async () => {
  const doc = (await call('GET', '/openapi.json')).json;
  assert.equal(doc.openapi, '3.0.3');
  const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
  );
  for (const route of [
    'GET /v1/health',
    'GET /v1/ready',
    'GET /v1/status',
    'GET /v1/cluster',
    'GET /v1/brokers/{id}',
    'GET /v1/raft/groups',
    'POST /v1/topics',
    'DELETE /v1/topics/{topic}',
    'PATCH /v1/topics/{topic}/configs',
    'POST /v1/topics/{topic}/partitions',
    'GET /v1/groups/{group}',
    'POST /v1/groups/{group}/offsets',
  ]) {
    assert.ok(documented.includes(route), `${route} is in the document`);
  }
  const create = doc.paths['/v1/topics'].post;
  assert.equal(create.requestBody.content['application/json'].schema.additionalProperties, false);
  assert.deepEqual(create.requestBody.content['application/json'].schema.required, ['name']);
});

test('issue 14: /metrics parses as Prometheus text and its values move when records are produced and fetched', async () => {
  assert.equal((await call('POST', '/v1/topics', { name: 'metered', partitions: 1 })).status, 201);
  const before = await scrape();
  assert.ok(hasSample(before, 'nodejs_eventloop_lag_seconds'), 'event-loop lag (prom-client default)');
  assert.ok(before.types.has('nodejs_gc_duration_seconds'), 'GC time (prom-client default)');
  assert.equal(before.types.get('runnel_kafka_request_duration_seconds'), 'histogram');
  assert.equal(sampleSum(before, 'runnel_node_info', { node_id: String(broker.node.nodeId), mode: 'single' }), 1);
  const producesBefore = sampleSum(before, 'runnel_kafka_request_duration_seconds_count', { api: 'Produce' });
  const batch = buildRecordBatch({
    records: [
      { key: 'a', value: 'one' },
      { key: 'b', value: 'two' },
      { key: 'c', value: 'three' },
    ],
  });
  assert.equal((await broker.client.produce('metered', 0, batch)).errorCode, 0);
  assert.equal((await broker.client.produce('metered', 0, batch)).errorCode, 0);
  await broker.client.fetch('metered', 0, 0);
  const after = await scrape();
  assert.equal(sampleSum(after, 'runnel_topic_records_in_total', { topic: 'metered' }), 6);
  assert.equal(sampleSum(after, 'runnel_topic_bytes_in_total', { topic: 'metered' }), 2 * batch.length);
  assert.equal(sampleSum(after, 'runnel_topic_records_out_total', { topic: 'metered' }), 6);
  assert.equal(sampleSum(after, 'runnel_kafka_request_duration_seconds_count', { api: 'Produce' }) - producesBefore, 2);
  assert.ok(sampleSum(after, 'runnel_log_size_bytes', { topic: 'metered', partition: '0' }) >= 2 * batch.length);
  assert.ok(sampleSum(after, 'runnel_partition_leaders') >= 1);
  assert.equal(sampleSum(after, 'runnel_under_replicated_partitions'), 0);
  // Issue 14's "fsync latency" on a single node: acks=all waits for the log's group-commit
  // fdatasync (flush mode group, the default), and each of those rounds is timed.
  assert.ok(
    sampleSum(after, 'runnel_log_fsync_duration_seconds_count') - sampleSum(before, 'runnel_log_fsync_duration_seconds_count') >= 1,
    'the acks=all produces waited for at least one timed log fsync',
  );
  // A deleted topic's series go: the label set is bounded by the topics that exist.
  assert.equal((await call('DELETE', '/v1/topics/metered')).status, 200);
  assert.ok(!hasSample(await scrape(), 'runnel_topic_records_in_total', { topic: 'metered' }));
});

test('issue 14: the Grafana dashboard in docs/ names only metrics the broker serves', async () => {
  const dashboard = readFileSync(new URL('../../docs/grafana-dashboard.json', import.meta.url), 'utf8');
  const exprs = (JSON.parse(dashboard).panels as Json[]).flatMap((p) => (p.targets as Json[]).map((t) => String(t.expr)));
  // A histogram's samples (_bucket, _count, _sum) belong to its family, the name TYPE gives.
  const used = new Set(exprs.flatMap((e) => e.match(/\b(?:runnel|nodejs|process)_[a-z0-9_]+/g) ?? []).map((n) => n.replace(/_(bucket|count|sum)$/, '')));
  assert.ok(used.size >= 15, `the dashboard uses ${used.size} metrics`);
  const served = (await scrape()).types;
  for (const name of used) assert.ok(served.has(name), `${name} is served by GET /metrics`);
});
