"""Produce COUNT records, one every 0.2 s, with the settings of the issue-12 report (linger.ms
5000, batch.num.messages 5, metadata.max.age.ms 10000, topic.metadata.refresh.interval.ms -1),
then wait up to WAIT_S seconds for every delivery report.

Usage: cut_producer.py BOOTSTRAP TOPIC COUNT WAIT_S
Prints one JSON object: {"delivered": N, "errors": [...], "queued": N, "seconds": S}.
"""
import json
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, count, wait_s = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
delivered = []
errors = []


def on_delivery(err, msg):
    if err is not None:
        errors.append(str(err))
    else:
        delivered.append(msg.key().decode())


producer = Producer({
    "bootstrap.servers": bootstrap,
    "linger.ms": 5000,
    "batch.num.messages": 5,
    "metadata.max.age.ms": 10000,
    "topic.metadata.refresh.interval.ms": -1,
})
started = time.time()
for i in range(count):
    producer.produce(topic, key=f"k{i}".encode(), value=f"v{i}".encode(), on_delivery=on_delivery)
    producer.poll(0)
    time.sleep(0.2)
deadline = time.time() + wait_s
while len(delivered) + len(errors) < count and time.time() < deadline:
    producer.poll(0.5)
print(json.dumps({
    "delivered": len(set(delivered)),
    "errors": errors[:5],
    "queued": len(producer),
    "seconds": round(time.time() - started, 1),
}))
