// Issue 14: the data path's metrics are kept in plain Maps and written by hot-metrics.ts; what it
// writes must be what prom-client would write for the same observations (the same samples),
// escapes included, so dashboards cannot tell the two apart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { CounterFamily, HistogramFamily } from '../../../src/http/hot-metrics.ts';
import { parsePrometheus, type Sample } from '../../helpers/prometheus.ts';

const sorted = (samples: Sample[]) => samples.map((s) => JSON.stringify([s.name, Object.entries(s.labels).sort(), s.value])).sort();

test('issue 14: a histogram family writes the samples prom-client writes for the same observations', async () => {
  const bounds = [0.001, 0.01, 0.1, 1];
  const registry = new Registry();
  const reference = new Histogram({ name: 'lat_seconds', help: 'h', labelNames: ['api'], buckets: bounds, registers: [registry] });
  const ours = new HistogramFamily('lat_seconds', 'h', 'api', bounds);
  const observations: Array<[string, number]> = [
    ['Produce', 0.0005],
    ['Produce', 0.001],
    ['Produce', 0.5],
    ['Fetch', 3],
    ['we"ird\\api\n', 0.02],
  ];
  for (const [api, v] of observations) {
    reference.observe({ api }, v);
    ours.observe(api, v);
  }
  const theirs = parsePrometheus(await registry.metrics());
  const mine = parsePrometheus(ours.render());
  assert.equal(mine.types.get('lat_seconds'), 'histogram');
  assert.deepEqual(sorted(mine.samples), sorted(theirs.samples));
});

test('issue 14: a counter family writes the samples prom-client writes, and forgets a removed key', async () => {
  const registry = new Registry();
  const reference = new Counter({ name: 'in_total', help: 'h', labelNames: ['topic'], registers: [registry] });
  const ours = new CounterFamily('in_total', 'h', 'topic');
  for (const [topic, n] of [
    ['orders', 3],
    ['orders', 4],
    ['audit', 1],
  ] as const) {
    reference.inc({ topic }, n);
    ours.inc(topic, n);
  }
  assert.deepEqual(sorted(parsePrometheus(ours.render()).samples), sorted(parsePrometheus(await registry.metrics()).samples));
  ours.remove('orders');
  assert.deepEqual(
    parsePrometheus(ours.render()).samples.map((s) => s.labels.topic),
    ['audit'],
  );
});
