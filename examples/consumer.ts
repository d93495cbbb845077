// Consumes a topic in a consumer group with the Runnel SDK: members of the same group share the
// topic's partitions, and a new member resumes where the group's commits left off.
//   RUNNEL_BOOTSTRAP=127.0.0.1:9092 node --import tsx examples/consumer.ts [topic] [group] [max-records]
// Start it twice with the same group to see the partitions shared; stop with Ctrl-C (it leaves
// the group and commits what it processed).
import { Consumer } from 'runnel';

const bootstrap = (process.env.RUNNEL_BOOTSTRAP ?? '127.0.0.1:9092').split(',');
const topic = process.argv[2] ?? 'orders';
const groupId = process.argv[3] ?? 'order-printers';
const maxRecords = Number(process.argv[4] ?? Infinity);

const consumer = new Consumer({
  bootstrap,
  groupId,
  // Read from the start when the group has committed nothing yet (Kafka's default is 'latest').
  autoOffsetReset: 'earliest',
  // Auto-commit (on by default) stores processed offsets every 5 s, on every rebalance and on close.
  onAssigned: (partitions) => console.log(`assigned ${partitions.map((p) => `${p.topic}[${p.partitions.join(',')}]`).join(' ')}`),
  onRevoked: (partitions) => console.log(`revoked ${partitions.map((p) => `${p.topic}[${p.partitions.join(',')}]`).join(' ')}`),
});
process.once('SIGINT', () => void consumer.close());
process.once('SIGTERM', () => void consumer.close());

consumer.subscribe([topic]);
let count = 0;
try {
  // A record counts as processed once the loop asks for the next one.
  for await (const record of consumer) {
    console.log(`${record.topic}/${record.partition}@${record.offset} ${record.key?.toString() ?? ''}:${record.value?.toString() ?? ''}`);
    if (++count >= maxRecords) break;
  }
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await consumer.close();
}
