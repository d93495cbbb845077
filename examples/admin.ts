// Creates a topic, shows it, changes a config, and describes the cluster with the Runnel SDK.
//   RUNNEL_BOOTSTRAP=127.0.0.1:9092 node --import tsx examples/admin.ts [topic]
import { Admin, KafkaError } from 'runnel';

const bootstrap = (process.env.RUNNEL_BOOTSTRAP ?? '127.0.0.1:9092').split(',');
const topic = process.argv[2] ?? 'orders';

const admin = new Admin({ bootstrap });
try {
  try {
    await admin.createTopics([{ name: topic, partitions: 3, configs: { 'retention.ms': String(7 * 24 * 3600 * 1000) } }]);
    console.log(`created ${topic}`);
  } catch (err) {
    if (!(err instanceof KafkaError && err.errorName === 'TOPIC_ALREADY_EXISTS')) throw err;
    console.log(`${topic} exists already`);
  }
  for (const t of await admin.describeTopics([topic])) {
    for (const p of t.partitions) console.log(`${t.name}/${p.partition} leader ${p.leader} replicas ${p.replicas.join(',')} isr ${p.isr.join(',')}`);
  }
  await admin.alterConfigs({ type: 'topic', name: topic }, [{ name: 'retention.ms', op: 'set', value: String(24 * 3600 * 1000) }]);
  const [retention] = await admin.describeConfigs({ type: 'topic', name: topic }, ['retention.ms']);
  console.log(`retention.ms=${retention?.value}`);
  const cluster = await admin.describeCluster();
  console.log(`cluster ${cluster.clusterId}: ${cluster.brokers.map((b) => `${b.nodeId}@${b.host}:${b.port}`).join(' ')}`);
} catch (err) {
  console.error(err instanceof KafkaError ? `${err.errorName}: ${err.message}` : (err as Error).message);
  process.exitCode = 1;
} finally {
  await admin.close();
}
