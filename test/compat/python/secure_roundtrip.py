"""Produce one record to partition 0 and read it back, with librdkafka's security settings.

Usage: secure_roundtrip.py BOOTSTRAP TOPIC VALUE SECURITY_JSON
SECURITY_JSON holds librdkafka properties, e.g. {"security.protocol": "SASL_SSL",
"ssl.ca.location": "ca.pem", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "u",
"sasl.password": "p"}.
Prints one JSON object: {"delivered": error-or-null, "read": value-or-null, "errors": [...]}, where
"errors" are what librdkafka reported through error_cb (a refused login, a refused certificate).
Bounded: the produce gives up after 12 s (at once on a refused login or certificate), the read after 15 s.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, value, security = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
errors = []


def on_error(err):
    errors.append(f"{err.name()}: {err.str()}")


common = {"bootstrap.servers": bootstrap, "error_cb": on_error, **security}
result = {"delivered": None, "read": None, "errors": errors}

producer = Producer({**common, "acks": "all", "message.timeout.ms": 10000, "enable.idempotence": False})
delivery = []
producer.produce(topic, value=value.encode(), partition=0, on_delivery=lambda err, msg: delivery.append(err))
# A refused login or certificate will not heal by waiting for message.timeout.ms: stop at the first.
deadline = time.time() + 12
while not delivery and time.time() < deadline and not any(e.startswith(("_AUTHENTICATION", "_SSL")) for e in errors):
    producer.poll(0.1)
result["delivered"] = "no delivery report" if not delivery else (None if delivery[0] is None else str(delivery[0]))

if result["delivered"] is None:
    consumer = Consumer({**common, "group.id": f"secure-{topic}", "enable.auto.commit": False})
    consumer.assign([TopicPartition(topic, 0, 0)])
    deadline = time.time() + 15
    while time.time() < deadline and result["read"] is None:
        msg = consumer.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            errors.append(str(msg.error()))
            continue
        result["read"] = msg.value().decode()
    consumer.close()

print(json.dumps(result))
