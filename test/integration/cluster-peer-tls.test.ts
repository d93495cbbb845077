// issue 15 (between brokers): a three-broker cluster with cluster.tls on forms over mutual TLS
// (each broker presents its certificate and checks its peers' against the cluster CA), takes
// acks=all produces that every replica must receive over those connections, and serves them back.
// The refusals (another CA, a wrong name, plain against TLS, a wrong secret inside TLS) are
// checked on the transport itself: test/unit/transport/tcp-tls.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster } from '../helpers/cluster.ts';
import { createTopic, kafkaFor, produceNumbered, readAll } from '../helpers/cluster-clients.ts';
import { makePeerCerts } from '../helpers/peer-certs.ts';

test('cluster.tls: three brokers form over TLS, acks=all produces are replicated and consumed', async () => {
  const certs = makePeerCerts();
  const cluster = await startCluster({
    env: {
      RUNNEL_CLUSTER__TLS: 'true',
      RUNNEL_TLS__CERT_FILE: certs.broker.cert,
      RUNNEL_TLS__KEY_FILE: certs.broker.key,
      RUNNEL_TLS__CA_FILE: certs.broker.ca,
    },
  });
  const producer = kafkaFor(cluster).producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    for (const m of cluster.members) {
      const listening = m.broker.jsonLogs().find((l) => l.msg === 'peer transport listening');
      assert.equal(listening?.tls, true, `broker ${m.nodeId} listens for peers with TLS`);
    }
    await createTopic(cluster, 'peer-tls');
    await producer.connect();
    // acks=all: every answer waited for the followers, whose only way in is the TLS connection.
    const acked = await produceNumbered(producer, 'peer-tls', 300, 30);
    assert.deepEqual(await readAll(cluster, 'peer-tls'), acked);
    for (const m of cluster.members) {
      const status = await cluster.status(m.nodeId);
      assert.ok(status.brokers.length === 3 && status.brokers.every((b) => b.connected), JSON.stringify(status.brokers));
      const failures = m.broker.jsonLogs().filter((l) => l.msg === 'peer TLS handshake failed: connection refused');
      assert.deepEqual(failures, [], `broker ${m.nodeId} refused no peer`);
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
    await cluster.stop();
    certs.remove();
  }
});
