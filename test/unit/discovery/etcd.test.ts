// issue 11 (discovery, etcd): each node registers <prefix><node id> → its Raft address under a
// lease it keeps alive; the seeds are the keys under the prefix; close() revokes the lease. The
// test runs Debian's etcd-server on 127.0.0.1 and speaks to it through the v3 JSON gateway, as
// the broker does. Losing etcd gives no seeds and is logged once, never thrown.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EtcdClient, prefixRangeEnd } from '../../../src/discovery/etcd-client.ts';
import { EtcdDiscovery, parseMember } from '../../../src/discovery/etcd.ts';
import { freePort } from '../../helpers/broker-process.ts';
import { ETCD, ETCD_MISSING, startEtcd, type EtcdServer } from '../../helpers/etcd-server.ts';
import { captureLogger } from '../../helpers/log-capture.ts';
import { waitFor } from '../../helpers/wait-for.ts';

test('the range end of a prefix: its last byte below 0xff plus one (etcd GetPrefixRangeEnd)', () => {
  assert.equal(prefixRangeEnd(Buffer.from('/runnel/')).toString(), '/runnel0');
  assert.deepEqual(prefixRangeEnd(Buffer.from([0x61, 0xff, 0xff])), Buffer.from([0x62]));
  assert.deepEqual(prefixRangeEnd(Buffer.from([0xff])), Buffer.from([0]));
});

test('a member value must be {"node_id": N, "raft_address": "host:port"}', () => {
  assert.deepEqual(parseMember('{"node_id":3,"raft_address":"10.0.0.3:9192"}'), { address: '10.0.0.3:9192', nodeId: 3 });
  assert.equal(parseMember('not json'), null);
  assert.equal(parseMember('null'), null);
  assert.equal(parseMember('{"node_id":0,"raft_address":"10.0.0.3:9192"}'), null);
  assert.equal(parseMember('{"node_id":3,"raft_address":"10.0.0.3"}'), null);
});

const skip = ETCD === null ? ETCD_MISSING : false;
let etcd: EtcdServer | undefined;

before(async () => {
  if (ETCD !== null) etcd = await startEtcd();
});

after(async () => {
  await etcd?.stop();
});

function member(nodeId: number, prefix: string, leaseTtlS = 10) {
  const log = captureLogger();
  const discovery = new EtcdDiscovery({
    endpoints: [etcd!.url],
    prefix,
    leaseTtlS,
    logger: log.logger,
  });
  return { discovery, log, register: () => discovery.register({ nodeId, raftAddress: `127.0.0.${nodeId}:9192` }) };
}

test('registered nodes are the seeds of their prefix only; close() removes a node at once', { skip }, async () => {
  const a = member(1, '/runnel/one/');
  const b = member(2, '/runnel/one/');
  const other = member(7, '/runnel/one-other/');
  await Promise.all([a.register(), b.register(), other.register()]);
  const client = new EtcdClient([etcd!.url]);
  // Something else wrote under the prefix: ignored, and said once.
  const stray = await client.grant(30);
  await client.put('/runnel/one/notes', 'hello', stray);

  // Each node's own key is no seed for it.
  assert.deepEqual(await a.discovery.seeds(), [{ address: '127.0.0.2:9192', nodeId: 2 }]);
  assert.deepEqual(await b.discovery.seeds(), [{ address: '127.0.0.1:9192', nodeId: 1 }]);
  assert.equal(a.log.matching('list failed').length, 1);
  assert.match(String(a.log.matching('list failed')[0]!.problem), /\/runnel\/one\/notes/);
  assert.deepEqual(await other.discovery.seeds(), []);
  assert.deepEqual(await new EtcdDiscovery({ endpoints: [etcd!.url], prefix: '/runnel/one-other/', leaseTtlS: 10, logger: a.log.logger }).seeds(), [
    { address: '127.0.0.7:9192', nodeId: 7 },
  ]);

  await b.discovery.close();
  assert.deepEqual(await a.discovery.seeds(), [], 'a revoked lease takes the key with it');
  assert.equal((await client.rangePrefix('/runnel/one/')).length, 2, "a's key and the stray one");
  await Promise.all([a.discovery.close(), other.discovery.close()]);
  await client.revoke(stray);
  assert.deepEqual(await client.rangePrefix('/runnel/one'), []);
});

test('the lease is kept alive beyond its ttl, and a lost lease is granted again', { skip }, async () => {
  const a = member(4, '/runnel/lease/', 2);
  const client = new EtcdClient([etcd!.url]);
  await a.register();
  try {
    // Three seconds is past the 2 s lease: the key is still there only because it is renewed.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const [kv] = await client.rangePrefix('/runnel/lease/');
    assert.equal(kv?.key, '/runnel/lease/4');

    // The lease is lost (as after etcd lost the node for a whole ttl): the key goes, and the
    // next renewal registers again.
    const leaseOf = async (): Promise<string | undefined> => {
      const reply = await fetch(`${etcd!.url}/v3/kv/range`, {
        method: 'POST',
        body: JSON.stringify({ key: Buffer.from('/runnel/lease/4').toString('base64') }),
      });
      return ((await reply.json()) as { kvs?: Array<{ lease: string }> }).kvs?.[0]?.lease;
    };
    const first = await leaseOf();
    assert.ok(first !== undefined);
    await client.revoke(first);
    assert.equal(await leaseOf(), undefined);
    await waitFor(async () => (await leaseOf()) !== undefined, 'the key put again under a new lease', 5_000, 50);
    assert.notEqual(await leaseOf(), first);
    assert.equal(a.log.matching('lease expired').length, 1);
  } finally {
    await a.discovery.close();
  }
});

test('etcd unreachable: no seeds and one warning per activity, never an exception; the next endpoint is tried', { skip }, async () => {
  const dead = `http://127.0.0.1:${await freePort()}`;
  const log = captureLogger();
  const lost = new EtcdDiscovery({ endpoints: [dead], prefix: '/runnel/down/', leaseTtlS: 10, logger: log.logger });
  await lost.register({ nodeId: 1, raftAddress: '127.0.0.1:9192' });
  assert.deepEqual(await lost.seeds(), []);
  assert.deepEqual(await lost.seeds(), []);
  assert.equal(log.matching('seeds failed').length, 1);
  assert.equal(log.matching('register failed').length, 1);
  await lost.close();

  const failover = new EtcdDiscovery({ endpoints: [dead, etcd!.url], prefix: '/runnel/down/', leaseTtlS: 10, logger: log.logger });
  await failover.register({ nodeId: 2, raftAddress: '127.0.0.2:9192' });
  const reader = new EtcdDiscovery({ endpoints: [dead, etcd!.url], prefix: '/runnel/down/', leaseTtlS: 10, logger: log.logger });
  assert.deepEqual(await reader.seeds(), [{ address: '127.0.0.2:9192', nodeId: 2 }], 'the second endpoint answers');
  await failover.close();
});
