"""Consume COUNT records as a member of GROUP with subscribe(), committing each one synchronously.

Usage: groups_consumer.py BOOTSTRAP GROUP TOPIC COUNT [IDLE_SECONDS]
Prints one JSON object: {"records": [[partition, offset, value], ...], "assigned": [...],
"committed": {partition: offset}, "errors": [...]}. Stops after COUNT records, or after
IDLE_SECONDS (default 20) without one. Records fetched beyond COUNT are not committed, so the next
member of the group starts exactly after the last committed one. librdkafka debug output (cgrp)
goes to stderr.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition

bootstrap, group, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
idle_seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 20.0

consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
    "debug": "cgrp",
})
assigned = []


def on_assign(c, partitions):
    assigned.extend(p.partition for p in partitions)


consumer.subscribe([topic], on_assign=on_assign)
records, errors = [], []
last = time.monotonic()
while len(records) < count and time.monotonic() - last < idle_seconds:
    msg = consumer.poll(0.2)
    if msg is None:
        continue
    if msg.error():
        if msg.error().code() != KafkaError._PARTITION_EOF:
            errors.append(str(msg.error()))
        continue
    last = time.monotonic()
    records.append([msg.partition(), msg.offset(), msg.value().decode() if msg.value() is not None else None])
    consumer.commit(message=msg, asynchronous=False)

parts = consumer.committed([TopicPartition(topic, p) for p in sorted(set(assigned))], timeout=10)
committed = {str(p.partition): p.offset for p in parts}
consumer.close()
print(json.dumps({"records": records, "assigned": sorted(set(assigned)), "committed": committed, "errors": errors}))
sys.exit(0 if len(records) >= count else 1)
