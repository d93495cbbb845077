// issue 15 (listeners, cluster mode): brokers register every listener's advertised endpoint, the
// records survive a metadata snapshot, and a client is told the endpoints of the listener it asked
// on. A record written before listeners existed reads as one PLAINTEXT endpoint (its host/port).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokersOn, endpointOn } from '../../../src/metadata/broker-endpoints.ts';
import { MetadataState, type BrokerRecord } from '../../../src/metadata/metadata-state.ts';

function broker(nodeId: number): BrokerRecord {
  return {
    nodeId,
    host: `b${nodeId}.internal`,
    port: 9092,
    rack: null,
    listeners: [
      { name: 'PLAINTEXT', host: `b${nodeId}.internal`, port: 9092, securityProtocol: 'PLAINTEXT' },
      { name: 'SSL', host: `b${nodeId}.example`, port: 9093, securityProtocol: 'SSL' },
    ],
  };
}

test('a client on SSL is told every broker SSL endpoint; on PLAINTEXT the PLAINTEXT ones', () => {
  const state = new MetadataState({ clusterId: 'c', brokers: [], topics: [] });
  for (const nodeId of [1, 2, 3]) assert.deepEqual(state.apply({ type: 'registerBroker', broker: broker(nodeId) }), { ok: true });
  // Through a snapshot, as a follower or a restarted broker reads it.
  const restored = new MetadataState(JSON.parse(JSON.stringify(state.snapshot())));
  assert.deepEqual(brokersOn(restored.allBrokers(), 'SSL'), [
    { nodeId: 1, host: 'b1.example', port: 9093, rack: null },
    { nodeId: 2, host: 'b2.example', port: 9093, rack: null },
    { nodeId: 3, host: 'b3.example', port: 9093, rack: null },
  ]);
  assert.deepEqual(
    brokersOn(restored.allBrokers(), 'PLAINTEXT').map((b) => `${b.host}:${b.port}`),
    ['b1.internal:9092', 'b2.internal:9092', 'b3.internal:9092'],
  );
});

test('a record without listeners is one PLAINTEXT endpoint; a broker without the listener is left out', () => {
  const legacy: BrokerRecord = { nodeId: 4, host: 'old.internal', port: 9092, rack: null };
  assert.deepEqual(endpointOn(legacy, 'PLAINTEXT'), { name: 'PLAINTEXT', host: 'old.internal', port: 9092, securityProtocol: 'PLAINTEXT' });
  assert.equal(endpointOn(legacy, 'SSL'), undefined);
  assert.deepEqual(
    brokersOn([broker(1), legacy], 'SSL').map((b) => b.nodeId),
    [1],
  );
});
