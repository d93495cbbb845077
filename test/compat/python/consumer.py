"""Read COUNT records from one partition with assign() and explicit offsets, no group work.

Usage: consumer.py BOOTSTRAP TOPIC PARTITION START_OFFSET COUNT
KAFKA_EXTRA_CONFIG (JSON, optional) is merged into the consumer's config (e.g. SSL settings).
Prints one JSON object: {"records": [[offset, key, value, headers], ...], "errors": [...]}.
librdkafka wants a group.id even for assign(); with enable.auto.commit=false and an
explicit start offset it needs no committed offsets. librdkafka debug output
(cgrp, fetch, protocol) goes to stderr so the test can see what was asked of the broker.
"""
import json
import os
import sys
import time

from confluent_kafka import Consumer, KafkaError, TopicPartition

bootstrap, topic, partition, start, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "runnel-compat-assign",
    "enable.auto.commit": False,
    "enable.auto.offset.store": False,
    "enable.partition.eof": True,
    "debug": "cgrp,fetch,protocol",
    **json.loads(os.environ.get("KAFKA_EXTRA_CONFIG", "{}")),
})
consumer.assign([TopicPartition(topic, partition, start)])

records, errors = [], []
deadline = time.monotonic() + 20
while len(records) < count and time.monotonic() < deadline:
    msg = consumer.poll(0.2)
    if msg is None:
        continue
    if msg.error():
        if msg.error().code() != KafkaError._PARTITION_EOF:
            errors.append(str(msg.error()))
        continue
    records.append([
        msg.offset(),
        msg.key().decode() if msg.key() is not None else None,
        msg.value().decode() if msg.value() is not None else None,
        [[k, v.decode() if v is not None else None] for k, v in (msg.headers() or [])],
    ])

consumer.close()
print(json.dumps({"records": records, "errors": errors}))
sys.exit(0 if len(records) >= count else 1)
