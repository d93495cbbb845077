// Sends a few records with the Runnel SDK and prints where each landed.
//   RUNNEL_BOOTSTRAP=127.0.0.1:9092 node --import tsx examples/producer.ts [topic]
// The topic must exist (`runnel topic create orders --partitions 3`, or examples/admin.ts).
import { KafkaError, Producer } from 'runnel';

const bootstrap = (process.env.RUNNEL_BOOTSTRAP ?? '127.0.0.1:9092').split(',');
const topic = process.argv[2] ?? 'orders';

// Defaults: acks 'all', idempotent, no compression, lingerMs 5. Records with the same key
// always go to the same partition (the Java client's murmur2, as KafkaJS and librdkafka).
const producer = new Producer({ bootstrap, compression: 'zstd', limits: { lingerMs: 10 } });
try {
  const sends = ['alice', 'bob', 'carol', 'alice'].map((customer, i) =>
    producer.send({
      topic,
      key: customer,
      value: JSON.stringify({ order: i, customer }),
      headers: { source: 'examples/producer.ts' },
    }),
  );
  for (const { partition, offset } of await Promise.all(sends)) console.log(`${topic}/${partition}@${offset}`);
} catch (err) {
  if (err instanceof KafkaError) console.error(`${err.errorName}: ${err.message}`);
  else console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await producer.close();
}
