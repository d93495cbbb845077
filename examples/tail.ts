// Prints the records written to a topic from now on, like `tail -f`, with the Runnel SDK: every
// partition is assigned to this consumer directly (no group, nothing committed) and starts at its end.
//   RUNNEL_BOOTSTRAP=127.0.0.1:9092 node --import tsx examples/tail.ts [topic]
// Stop with Ctrl-C.
import { Consumer } from 'runnel';

const bootstrap = (process.env.RUNNEL_BOOTSTRAP ?? '127.0.0.1:9092').split(',');
const topic = process.argv[2] ?? 'orders';

const consumer = new Consumer({ bootstrap, autoOffsetReset: 'latest' });
process.once('SIGINT', () => void consumer.close());
process.once('SIGTERM', () => void consumer.close());
try {
  const partitions = await consumer.partitionsFor(topic);
  await consumer.assign(partitions.map((partition) => ({ topic, partition })));
  console.log(`tailing ${topic} (${partitions.length} partitions)`);
  await consumer.run((record) => {
    const time = new Date(record.timestamp).toISOString();
    console.log(`${time} ${record.partition}@${record.offset} ${record.key?.toString() ?? ''}:${record.value?.toString() ?? ''}`);
  });
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await consumer.close();
}
