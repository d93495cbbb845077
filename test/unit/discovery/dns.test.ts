// issue 11 (discovery, dns): the seeds are the SRV and A/AAAA records of one name, asked again
// on every look-up, from a DNS server the test runs (dnsmasq on 127.0.0.1). A StatefulSet pod's
// SRV target gives the node id (ordinal + 1). A failed look-up gives no seeds and is logged
// once, not thrown.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DnsDiscovery } from '../../../src/discovery/dns.ts';
import { formatAddress, SEEDS_MAX, statefulSetNodeId, uniqueSeeds } from '../../../src/discovery/seed-list.ts';
import { DNSMASQ, DNSMASQ_MISSING, startDnsServer, type DnsRecords, type DnsServer } from '../../helpers/dnsmasq.ts';
import { captureLogger } from '../../helpers/log-capture.ts';

const SERVICE = 'runnel-headless.ns.svc.cluster.local';
const pod = (ordinal: number): string => `runnel-${ordinal}.${SERVICE}`;

// Pod 2 has no address record here: its seed keeps the name, for the system resolver.
const THREE_PODS: DnsRecords = {
  hosts: [
    [SERVICE, '127.0.0.11'],
    [SERVICE, '127.0.0.12'],
    [SERVICE, '::1'],
    [pod(0), '127.0.0.11'],
    [pod(1), '127.0.0.12'],
  ],
  srv: [
    [SERVICE, pod(0), 9192],
    [SERVICE, pod(1), 9192],
    [SERVICE, pod(2), 9192],
  ],
};

test('a StatefulSet pod name gives node id ordinal + 1; other names give none', () => {
  assert.equal(statefulSetNodeId('runnel-0'), 1);
  assert.equal(statefulSetNodeId('runnel-2.runnel-headless.ns.svc.cluster.local'), 3);
  assert.equal(statefulSetNodeId('my-broker-set-10.svc'), 11);
  // CoreDNS names pods of a Deployment by their dashed IP: not an ordinal.
  assert.equal(statefulSetNodeId('10-0-0-7.runnel-headless.ns.svc.cluster.local'), undefined);
  assert.equal(statefulSetNodeId('runnel.ns.svc.cluster.local'), undefined);
  assert.equal(statefulSetNodeId('runnel-'), undefined);
});

test('seed lists: IPv6 in brackets, one seed per address (a node id kept), sorted, bounded', () => {
  assert.equal(formatAddress('::1', 9192), '[::1]:9192');
  assert.equal(formatAddress('10.0.0.1', 9192), '10.0.0.1:9192');
  assert.deepEqual(uniqueSeeds([{ address: 'b:1' }, { address: 'a:1' }, { address: 'b:1', nodeId: 2 }, { address: 'a:1' }]), [
    { address: 'a:1' },
    { address: 'b:1', nodeId: 2 },
  ]);
  const many = Array.from({ length: SEEDS_MAX + 5 }, (_, i) => ({ address: `10.0.${i >> 8}.${i & 255}:1` }));
  assert.equal(uniqueSeeds(many).length, SEEDS_MAX);
});

const skip = DNSMASQ === null ? DNSMASQ_MISSING : false;
let dns: DnsServer | undefined;

before(async () => {
  if (DNSMASQ !== null) dns = await startDnsServer(THREE_PODS);
});

after(async () => {
  await dns?.stop();
});

test("SRV records give their targets' addresses with the record's port and node id; A and AAAA records give ip:port with the configured port", {
  skip,
}, async () => {
  const { logger, lines } = captureLogger();
  const discovery = new DnsDiscovery({ name: SERVICE, port: 7000, servers: [dns!.server], logger });
  assert.deepEqual(await discovery.seeds(), [
    { address: '127.0.0.11:7000' },
    { address: '127.0.0.11:9192', nodeId: 1 },
    { address: '127.0.0.12:7000' },
    { address: '127.0.0.12:9192', nodeId: 2 },
    { address: '[::1]:7000' },
    { address: `${pod(2)}:9192`, nodeId: 3 },
  ]);
  assert.deepEqual(lines, [], 'a name that resolves logs nothing');

  // Once it knows it is node 2, its own SRV record is no seed (an A record says nothing of ids).
  await discovery.register({ nodeId: 2, raftAddress: `${pod(1)}:9192` });
  assert.deepEqual(
    (await discovery.seeds()).map((seed) => seed.nodeId),
    [undefined, 1, undefined, undefined, 3],
  );
});

test('each look-up asks again; a failed look-up gives [] and is logged once, its recovery once', { skip }, async () => {
  const { logger, matching } = captureLogger();
  const discovery = new DnsDiscovery({ name: SERVICE, port: 9192, servers: [dns!.server], logger });
  // With the SRV records' port, an A record and a SRV target with the same address are one seed.
  const all = [
    { address: '127.0.0.11:9192', nodeId: 1 },
    { address: '127.0.0.12:9192', nodeId: 2 },
    { address: '[::1]:9192' },
    { address: `${pod(2)}:9192`, nodeId: 3 },
  ];
  assert.deepEqual(await discovery.seeds(), all);

  // A pod went away and another came: the next look-up sees the new records.
  await dns!.replace({ hosts: [[pod(3), '127.0.0.14']], srv: [[SERVICE, pod(3), 9300]] });
  assert.deepEqual(await discovery.seeds(), [{ address: '127.0.0.14:9300', nodeId: 4 }]);

  // The name has no records at all (the service has no ready pods yet): no seeds, one warning.
  await dns!.replace({ hosts: [['other.example', '127.0.0.1']], srv: [] });
  assert.deepEqual(await discovery.seeds(), []);
  assert.deepEqual(await discovery.seeds(), []);
  assert.equal(matching('gives no seeds').length, 1, 'the same problem is logged once');

  // The DNS server is down: a new problem, logged once more, still no exception.
  await dns!.stop();
  assert.deepEqual(await discovery.seeds(), []);
  assert.deepEqual(await discovery.seeds(), []);
  const warnings = matching('gives no seeds');
  assert.equal(warnings.length, 2);
  assert.match(String(warnings[1]!.problem), /SRV: E[A-Z]+/);

  await dns!.replace(THREE_PODS);
  assert.deepEqual(await discovery.seeds(), all);
  assert.deepEqual(await discovery.seeds(), all);
  assert.equal(matching('resolves again').length, 1);
});
