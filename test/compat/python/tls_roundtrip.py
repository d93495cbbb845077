"""Over an SSL listener: produce COUNT records to partition 0 of TOPIC and report the brokers the
metadata names (they must be the SSL listener's); consumer.py reads them back.

Usage: tls_roundtrip.py BOOTSTRAP TOPIC COUNT CA_FILE [CERT_FILE KEY_FILE]
Prints one JSON object: {"brokers": ["host:port", ...], "delivered": N, "errors": [...]}.
"""
import json
import sys

from confluent_kafka import Producer

bootstrap, topic, count, ca = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
tls = {"security.protocol": "SSL", "ssl.ca.location": ca}
if len(sys.argv) > 6:
    tls["ssl.certificate.location"], tls["ssl.key.location"] = sys.argv[5], sys.argv[6]

errors = []
delivered = 0


def on_delivery(err, _msg):
    global delivered
    if err is None:
        delivered += 1
    else:
        errors.append(str(err))


producer = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 20000, "enable.idempotence": False, **tls})
brokers = sorted(f"{b.host}:{b.port}" for b in producer.list_topics(timeout=10).brokers.values())
for i in range(count):
    producer.produce(topic, value=f"py-tls-{i}".encode(), partition=0, on_delivery=on_delivery)
    producer.poll(0)
producer.flush(20)
print(json.dumps({"brokers": brokers, "delivered": delivered, "errors": errors}))
