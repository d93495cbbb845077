"""Produce N keyed records with headers to one partition and report every delivery.

Usage: producer.py BOOTSTRAP TOPIC PARTITION COUNT [COMPRESSION]
Prints one JSON object: {"delivered": [[key, partition, offset, error-or-null], ...]}.
Exits 1 if flush() times out with records still queued.
"""
import json
import sys

from confluent_kafka import Producer

bootstrap, topic, partition, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
compression = sys.argv[5] if len(sys.argv) > 5 else "none"

delivered = []
PADDING = "x" * 100


def on_delivery(err, msg):
    delivered.append([
        msg.key().decode() if msg.key() is not None else None,
        msg.partition(),
        msg.offset(),
        None if err is None else str(err),
    ])


producer = Producer({
    "bootstrap.servers": bootstrap,
    "acks": "all",
    "compression.codec": compression,
    "linger.ms": 5,
    "message.timeout.ms": 20000,
    # Idempotence needs InitProducerId; it is not what this script checks.
    "enable.idempotence": False,
})

for i in range(count):
    producer.produce(
        topic,
        key=f"py-key-{i}".encode(),
        # The padding makes even a one-record batch compressible: librdkafka sends a batch
        # uncompressed when compressing would not shrink it, which the test would misread.
        value=f"py-value-{i}-{PADDING}".encode(),
        partition=partition,
        headers=[("seq", str(i).encode()), ("lang", b"python")],
        on_delivery=on_delivery,
    )
    # Serve delivery callbacks as we go so the local queue never fills.
    producer.poll(0)

left = producer.flush(20)
print(json.dumps({"delivered": delivered, "undelivered": left}))
sys.exit(0 if left == 0 else 1)
