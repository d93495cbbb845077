// Loading files: defaults, the shipped configs, Go Queue's file shapes, and
// errors that name the field (docs/configuration.md).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, defaultConfig, loadConfig, loadConfigDetailed } from '../../../src/config/index.ts';
import { configFileWith, configScratchDir as scratch, loadConfigJson, rejectsConfig } from '../../helpers/config-files.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const REPO = join(import.meta.dirname, '..', '..', '..');
const NO_ENV = {};
const fileWith = configFileWith;
const loadJson = (value: unknown) => loadConfigJson(value, NO_ENV);
const rejects = rejectsConfig;

test('no file and no variables: the documented defaults', () => {
  const config = loadConfig({ env: NO_ENV });
  assert.deepEqual(config, defaultConfig());
  assert.equal(config.data_dir, './data');
  assert.equal(config.server.port, 9092);
  assert.equal(config.server.host, '0.0.0.0');
  assert.equal(config.server.advertised_host, '127.0.0.1');
  assert.equal(config.server.log_file, null);
  assert.equal(config.server.log_format, 'auto');
  assert.equal(config.http.port, 8080);
  assert.equal(config.retention_time_ms, 7 * 24 * 3_600_000);
  assert.equal(config.retention_bytes, -1);
  assert.equal(config.flush.mode, 'group');
  assert.equal(config.limits.max_frame_bytes, 104_857_600);
  assert.equal(config.limits.max_batch_bytes, 1_048_588);
  assert.equal(config.cluster.enabled, false);
  assert.deepEqual(config.cluster.initial_members, []);
  assert.equal(config.cluster.data_dir, './data/cluster');
});

test('defaultConfig returns a fresh object each time', () => {
  const first = defaultConfig();
  first.server.port = 1;
  assert.equal(defaultConfig().server.port, 9092);
});

test('every shipped config validates', () => {
  const standalone = loadConfig({ file: join(REPO, 'configs', 'standalone.json'), env: NO_ENV });
  assert.equal(standalone.cluster.enabled, false);
  assert.equal(standalone.data_dir, './data');

  const members = [
    { node_id: 1, address: '127.0.0.1:9192' },
    { node_id: 2, address: '127.0.0.1:9193' },
    { node_id: 3, address: '127.0.0.1:9194' },
  ];
  for (const id of [1, 2, 3]) {
    const config = loadConfig({ file: join(REPO, 'configs', `node${id}.json`), env: NO_ENV });
    assert.equal(config.cluster.enabled, true);
    assert.equal(config.cluster.node_id, id);
    assert.equal(config.server.port, 9091 + id);
    assert.equal(config.http.port, 8080 + id);
    assert.equal(config.cluster.raft_address, `127.0.0.1:${9191 + id}`);
    assert.equal(config.data_dir, `./data/node${id}`);
    assert.deepEqual(config.cluster.initial_members, members);
  }
});

test('a Go Queue cluster file loads as it is: string port, Go durations, positional members', () => {
  const { config, ignored } = loadConfigDetailed({ file: join(FIXTURES, 'goqueue-cluster-node2.json'), env: NO_ENV });
  assert.equal(config.server.port, 9093);
  assert.equal(config.server.log_file, 'logs/node2.log');
  assert.equal(config.data_dir, './data-node2');
  assert.equal(config.max_topic_partitions, 16);
  assert.equal(config.segment_size, 1_073_741_824);
  assert.equal(config.retention_time_ms, 168 * 3_600_000);
  // Go Queue's other intervals and message size land on their Runnel fields.
  assert.equal(config.flush.interval_ms, 1_000);
  assert.equal(config.retention_check_interval_ms, 3_600_000);
  assert.equal(config.limits.max_batch_bytes, 1_048_576);
  assert.equal(config.cluster.node_id, 2);
  assert.equal(config.cluster.raft_address, 'localhost:8002');
  assert.equal(config.cluster.data_dir, './raft-data/node2');
  // dragonboat numbers Go Queue's initial_members from 1 in list order.
  assert.deepEqual(config.cluster.initial_members, [
    { node_id: 1, address: 'localhost:8001' },
    { node_id: 2, address: 'localhost:8002' },
    { node_id: 3, address: 'localhost:8003' },
  ]);
  assert.equal(config.cluster.election_rtt, 10);
  assert.equal(config.cluster.snapshot_entries, 10_000);
  assert.equal(config.cluster.compaction_overhead, 5_000);
  assert.deepEqual(ignored.map((entry) => entry.field).sort(), [
    'compression_enabled',
    'compression_threshold',
    'compression_type',
    'deduplication_config',
    'deduplication_enabled',
    'max_storage_size',
  ]);
  for (const entry of ignored) assert.ok(entry.reason.length > 20, `${entry.field} needs a reason`);
});

test("Go Queue's quick-start file loads: compression by name, empty log_file, follower read", () => {
  const { config, ignored } = loadConfigDetailed({ file: join(FIXTURES, 'goqueue-standalone.json'), env: NO_ENV });
  assert.equal(config.server.port, 9092);
  assert.equal(config.server.log_file, null);
  assert.equal(config.retention_time_ms, 24 * 3_600_000);
  assert.equal(config.segment_size, 10_485_760);
  assert.ok(ignored.some((entry) => entry.field === 'enable_follower_read'));
});

test('ports: numbers and digit strings, nothing else', () => {
  assert.equal(loadJson({ server: { port: '19092' } }).server.port, 19092);
  assert.equal(loadJson({ server: { port: 0 } }).server.port, 0);
  rejects({ server: { port: 'abc' } }, 'server.port', /^config field "server.port": must be an integer 0..65535 \(got "abc"\)$/);
  rejects({ server: { port: 70000 } }, 'server.port', /0..65535 \(got 70000\)/);
  rejects({ server: { port: 1.5 } }, 'server.port', /0..65535/);
  rejects({ http: { port: '-1' } }, 'http.port', /0..65535/);
});

test('durations: Go strings, milliseconds, and -1 for forever where allowed', () => {
  assert.equal(loadJson({ retention_time: '1h30m' }).retention_time_ms, 5_400_000);
  assert.equal(loadJson({ retention_time: 60_000 }).retention_time_ms, 60_000);
  assert.equal(loadJson({ retention_time: -1 }).retention_time_ms, -1);
  assert.equal(loadJson({ retention_time_ms: '2h' }).retention_time_ms, 7_200_000);
  assert.equal(loadJson({ limits: { fetch_max_wait_ms: '500ms' } }).limits.fetch_max_wait_ms, 500);
  rejects({ retention_time: '7d' }, 'retention_time', /Go duration.*"7d" has an unknown unit "d"/);
  rejects({ retention_time: -2 }, 'retention_time', /at least 0 ms, or -1 for forever \(got -2\)/);
  rejects({ retention_check_interval_ms: -1 }, 'retention_check_interval_ms', /at least 1 ms \(got -1\)/);
  rejects({ flush: { interval_ms: true } }, 'flush.interval_ms', /must be a duration/);
});

test('sizes: byte counts, binary units, and -1 for unlimited where allowed', () => {
  assert.equal(loadJson({ segment_size: '64MiB' }).segment_size, 64 * 1024 * 1024);
  assert.equal(loadJson({ retention_bytes: '10GiB' }).retention_bytes, 10 * 1024 ** 3);
  assert.equal(loadJson({ retention_bytes: -1 }).retention_bytes, -1);
  rejects({ segment_size: '1GB' }, 'segment_size', /ambiguous unit "GB"/);
  rejects({ segment_size: 100 }, 'segment_size', /at least 1024 bytes \(got 100\)/);
  rejects({ segment_size: -1 }, 'segment_size', /at least 1024 bytes \(got -1\)/);
});

test('a typo is an unknown field with the nearest known key', () => {
  rejects({ segmnet_size: 1 }, 'segmnet_size', /^config field "segmnet_size": unknown field \(did you mean "segment_size"\?\)$/);
  rejects({ server: { prot: 9092 } }, 'server.prot', /unknown field \(did you mean "server.port"\?\)/);
  rejects({ cluster: { electon_rtt: 10 } }, 'cluster.electon_rtt', /did you mean "cluster.election_rtt"/);
  rejects({ Data_Dir: 'x' }, 'Data_Dir', /did you mean "data_dir"/);
  // A field written at the wrong level points at where it belongs.
  rejects({ log_level: 'info' }, 'log_level', /did you mean "server.log_level"/);
  // Nothing close: no guess.
  rejects({ zzzzzzzz: 1 }, 'zzzzzzzz', /^config field "zzzzzzzz": unknown field$/);
});

test('a wrong type names the field and says what it must be', () => {
  rejects({ max_topic_partitions: '16' }, 'max_topic_partitions', /must be an integer 1..1000000 \(got "16"\)/);
  rejects({ auto_create_topics: 'yes' }, 'auto_create_topics', /must be true or false \(got "yes"\)/);
  rejects({ server: { log_level: 'loud' } }, 'server.log_level', /must be one of "trace", "debug", "info", "warn", "error" \(got "loud"\)/);
  rejects({ server: 9092 }, 'server', /must be an object \(got 9092\)/);
  rejects({ data_dir: '' }, 'data_dir', /must be a non-empty string/);
  rejects({ cluster: { node_id: 0 } }, 'cluster.node_id', /must be an integer 1..2147483647 \(got 0\)/);
  rejects({ cluster: { secret: 5 } }, 'cluster.secret', /must be a string or null \(got 5\)/);
  rejects({ deduplication_config: { ttl: 5 } }, 'deduplication_config.ttl', /must be a string/);
});

test('initial_members: Go Queue strings, id@address, objects; mistakes name the entry', () => {
  const mixed = loadJson({ cluster: { initial_members: ['7@10.0.0.7:9192', { node_id: 9, address: '[::1]:9192' }] } });
  assert.deepEqual(mixed.cluster.initial_members, [
    { node_id: 7, address: '10.0.0.7:9192' },
    { node_id: 9, address: '[::1]:9192' },
  ]);
  rejects({ cluster: { initial_members: ['a:1', 'b'] } }, 'cluster.initial_members[1]', /"host:port"/);
  rejects({ cluster: { initial_members: ['a:1', '1@b:2'] } }, 'cluster.initial_members[1]', /repeats node id 1 \(already at cluster.initial_members\[0\]\)/);
  rejects({ cluster: { initial_members: ['a:1', '5@a:1'] } }, 'cluster.initial_members[1]', /repeats address "a:1"/);
  rejects({ cluster: { initial_members: [{ node_id: 1, addr: 'a:1' }] } }, 'cluster.initial_members[0]', /unknown key "addr"/);
  rejects({ cluster: { initial_members: ['x@a:1'] } }, 'cluster.initial_members[0]', /node id "x"/);
  rejects({ cluster: { initial_members: 'a:1' } }, 'cluster.initial_members', /must be an array/);
  rejects({ cluster: { raft_address: 'localhost' } }, 'cluster.raft_address', /"host:port"/);
});

test('a Go Queue alias and its Runnel name in one file conflict', () => {
  rejects({ retention_time: '1h', retention_time_ms: 5 }, 'retention_time_ms', /same setting as "retention_time"/);
  rejects({ cleanup_interval: '1h', retention_check_interval_ms: 5 }, 'cleanup_interval', /same setting as "retention_check_interval_ms"/);
});

test('rules across fields', () => {
  rejects({ cluster: { election_rtt: 2, heartbeat_rtt: 1 } }, 'cluster.election_rtt', /greater than 2 x cluster.heartbeat_rtt/);
  rejects({ limits: { max_batch_bytes: 2048, max_frame_bytes: 1024 } }, 'limits.max_batch_bytes', /must not exceed limits.max_frame_bytes/);
  rejects({ default_partitions: 20, max_topic_partitions: 10 }, 'default_partitions', /must not exceed max_topic_partitions/);
  rejects({ http: { port: 9092 } }, 'http.port', /must differ from server.port/);
  assert.equal(loadJson({ http: { enabled: false, port: 9092 } }).http.port, 9092);
});

test('cluster.data_dir follows data_dir unless set', () => {
  assert.equal(loadJson({ data_dir: '/var/lib/runnel/' }).cluster.data_dir, '/var/lib/runnel/cluster');
  assert.equal(loadJson({ data_dir: '/a', cluster: { data_dir: '/b' } }).cluster.data_dir, '/b');
  assert.equal(loadJson({ data_dir: '/a', cluster: { data_dir: '' } }).cluster.data_dir, '/a/cluster');
});

test('a missing file names its path', () => {
  const missing = join(scratch, 'nope.json');
  assert.throws(
    () => loadConfig({ file: missing, env: NO_ENV }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.field, '');
      assert.equal(error.message, `config file "${missing}": cannot read it: no such file`);
      return true;
    },
  );
});

test('a file that is not JSON gives its path, line and column', () => {
  const file = fileWith('{\n  "data_dir": "x",\n  "server": { "port": 1, }\n}\n');
  assert.throws(
    () => loadConfig({ file, env: NO_ENV }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /^config file ".*config-\d+\.json": not valid JSON at line 3 column 26/);
      return true;
    },
  );
  assert.throws(() => loadConfig({ file: fileWith(''), env: NO_ENV }), /not valid JSON/);
  assert.throws(() => loadConfig({ file: fileWith('[1, 2]'), env: NO_ENV }), /config file ".*": must be an object \(got \[1,2\]\)/);
});

test('a byte-order mark at the start of the file is tolerated', () => {
  assert.equal(loadConfig({ file: fileWith('\uFEFF{"data_dir": "/bom"}'), env: NO_ENV }).data_dir, '/bom');
});

test('a normalised config written back to a file loads to the same config', () => {
  const original = loadConfig({ file: join(FIXTURES, 'goqueue-cluster-node2.json'), env: NO_ENV });
  assert.deepEqual(loadJson(original), original);
});

test('group settings load as durations and the session timeout bounds must be ordered', () => {
  const env = { RUNNEL_GROUPS__INITIAL_REBALANCE_DELAY_MS: '3s', RUNNEL_GROUPS__MAX_SIZE: '50' };
  const config = loadConfig({ env });
  assert.equal(config.groups.initial_rebalance_delay_ms, 3000);
  assert.equal(config.groups.max_size, 50);
  assert.throws(
    () => loadConfig({ env: { RUNNEL_GROUPS__MIN_SESSION_TIMEOUT_MS: '10m', RUNNEL_GROUPS__MAX_SESSION_TIMEOUT_MS: '1m' } }),
    /config field "groups.min_session_timeout_ms": must not exceed/,
  );
});
