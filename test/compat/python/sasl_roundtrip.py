"""Produce one record and read it back over a SASL listener (librdkafka's SASL_PLAINTEXT).

Usage: sasl_roundtrip.py BOOTSTRAP TOPIC MECHANISM USER   (the password in env SASL_TEST_PASSWORD)
Prints one JSON object: {"delivered": error-or-null, "read": value-or-null, "error": text-or-null}.
"""
import json
import os
import sys

from confluent_kafka import Consumer, Producer, TopicPartition

bootstrap, topic, mechanism, user = sys.argv[1:5]
sasl = {
    "bootstrap.servers": bootstrap,
    "security.protocol": "SASL_PLAINTEXT",
    "sasl.mechanisms": mechanism,
    "sasl.username": user,
    "sasl.password": os.environ["SASL_TEST_PASSWORD"],
}
errors = []
result = {"delivered": None, "read": None, "error": None}


def on_error(err):
    errors.append(str(err))


def on_delivery(err, msg):
    result["delivered"] = None if err is None else str(err)


producer = Producer({**sasl, "acks": "all", "error_cb": on_error, "message.timeout.ms": 8000})
producer.produce(topic, value=b"from-python", partition=0, on_delivery=on_delivery)
left = producer.flush(10)
if left > 0 or errors:
    result["error"] = "; ".join(errors) or "flush timed out"
    print(json.dumps(result))
    sys.exit(0)

consumer = Consumer({**sasl, "group.id": "py-sasl", "enable.auto.commit": False, "error_cb": on_error})
consumer.assign([TopicPartition(topic, 0, 0)])
for _ in range(20):
    msg = consumer.poll(0.5)
    if msg is not None and msg.error() is None:
        result["read"] = msg.value().decode()
        break
consumer.close()
if errors:
    result["error"] = "; ".join(errors)
print(json.dumps(result))
