// The test helper that parses GET /metrics (test/helpers/prometheus.ts) must itself be right:
// it reads what prom-client writes (labels with escapes, histograms, NaN) and refuses malformed
// lines, so a scrape test cannot pass on an exposition Prometheus would reject.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { hasSample, parsePrometheus, sampleSum } from '../../helpers/prometheus.ts';

test('issue 14: parses prom-client output, escaped label values and histograms included', async () => {
  const registry = new Registry();
  const c = new Counter({ name: 'x_total', help: 'h', labelNames: ['topic'], registers: [registry] });
  c.inc({ topic: 'a"b\\c\nd' }, 3);
  c.inc({ topic: 'plain' }, 2);
  const h = new Histogram({ name: 'lat_seconds', help: 'h', buckets: [0.1, 1], registers: [registry] });
  h.observe(0.5);
  h.observe(5);
  const parsed = parsePrometheus(await registry.metrics());
  assert.equal(parsed.types.get('x_total'), 'counter');
  assert.equal(sampleSum(parsed, 'x_total', { topic: 'a"b\\c\nd' }), 3);
  assert.equal(sampleSum(parsed, 'x_total'), 5);
  assert.equal(sampleSum(parsed, 'lat_seconds_bucket', { le: '1' }), 1);
  assert.equal(sampleSum(parsed, 'lat_seconds_bucket', { le: '+Inf' }), 2);
  assert.equal(sampleSum(parsed, 'lat_seconds_count'), 2);
  assert.ok(!hasSample(parsed, 'missing'));
  assert.ok(Number.isNaN(parsePrometheus('g Nan\n').samples[0].value));
});

test('issue 14: malformed expositions are refused', () => {
  for (const bad of ['x{a=1} 2', 'x{a="1} 2', 'x 1 2 3', 'x notanumber', 'x{a="\\q"} 1', '{a="1"} 1', '# TYPE x counter\n# TYPE x gauge']) {
    assert.throws(() => parsePrometheus(bad), Error, bad);
  }
});
