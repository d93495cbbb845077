"""Produce COUNT numbered records ("0".."COUNT-1") with enable.idempotence=true and acks=all, record
i to partition i % PARTITIONS, paced so that a test can kill a broker while they flow.

Usage: cluster_idempotent_producer.py BOOTSTRAP TOPIC COUNT PARTITIONS BURST DELAY_SECONDS
Produces BURST records, then sleeps DELAY_SECONDS, until COUNT were produced; then flushes.
While it runs, prints "delivered N" each time another 100 delivery reports succeeded, so the
test can act on progress. Last line: one JSON object {"delivered": [[value, partition, offset],
...] in delivery-report order, "errors": [...], "left": records still queued after flush}.
librdkafka debug output (eos, msg) goes to stderr.
"""
import json
import sys
import time

from confluent_kafka import Producer

bootstrap, topic = sys.argv[1], sys.argv[2]
count, partitions, burst, delay = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
producer = Producer({
    "bootstrap.servers": bootstrap,
    "enable.idempotence": True,
    "acks": "all",
    "linger.ms": 5,
    # Long enough for a new leader to be elected and found; a record is never given up on early.
    "message.timeout.ms": 45000,
    "debug": "eos,msg",
})
delivered, errors = [], []


def on_delivery(err, msg):
    if err is not None:
        errors.append(f"{msg.value().decode()}: {err}")
        return
    delivered.append([int(msg.value().decode()), msg.partition(), msg.offset()])
    if len(delivered) % 100 == 0:
        print(f"delivered {len(delivered)}", flush=True)


for i in range(count):
    producer.produce(topic, value=str(i).encode(), partition=i % partitions, on_delivery=on_delivery)
    producer.poll(0)
    if (i + 1) % burst == 0:
        # poll() instead of sleep(): delivery reports (and progress lines) keep coming meanwhile.
        until = time.monotonic() + delay
        while time.monotonic() < until:
            producer.poll(max(0.0, min(0.01, until - time.monotonic())))
left = producer.flush(60)
print(json.dumps({"delivered": delivered, "errors": errors, "left": left}), flush=True)
sys.exit(0 if left == 0 and not errors else 1)
