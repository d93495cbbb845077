"""Produce COUNT records ("0".."COUNT-1") to partition 0 with enable.idempotence=true, slowly enough
that the test can kill and restart the broker while they flow.

Usage: groups_idempotent_producer.py BOOTSTRAP TOPIC COUNT DELAY_SECONDS
Prints one JSON object: {"delivered": n, "errors": [...]}.
"""
import json
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, count, delay = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
producer = Producer({
    "bootstrap.servers": bootstrap,
    "enable.idempotence": True,
    "linger.ms": 5,
    "debug": "eos,msg",
})
delivered, errors = [], []


def on_delivery(err, msg):
    if err is not None:
        errors.append(str(err))
    else:
        delivered.append(msg.offset())


for i in range(count):
    producer.produce(topic, value=str(i).encode(), partition=0, on_delivery=on_delivery)
    producer.poll(0)
    time.sleep(delay)
left = producer.flush(60)
print(json.dumps({"delivered": len(delivered), "errors": errors, "left": left}))
sys.exit(0 if left == 0 and not errors else 1)
