"""Create topics, list them, delete one, list again, with confluent_kafka.admin.AdminClient.

Usage: admin.py BOOTSTRAP PREFIX
Prints one JSON object with what each step returned.
"""
import json
import sys
import time

from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, prefix = sys.argv[1], sys.argv[2]
admin = AdminClient({"bootstrap.servers": bootstrap})
a, b = f"{prefix}-a", f"{prefix}-b"
out = {}

futures = admin.create_topics([NewTopic(a, num_partitions=3, replication_factor=1),
                               NewTopic(b, num_partitions=1, replication_factor=1)],
                              operation_timeout=10, request_timeout=15)
out["create"] = {}
for name, f in futures.items():
    try:
        f.result(timeout=20)
        out["create"][name] = None
    except Exception as e:  # the test prints whatever went wrong
        out["create"][name] = str(e)

# A duplicate create must fail with TOPIC_ALREADY_EXISTS.
dup = admin.create_topics([NewTopic(a, num_partitions=3, replication_factor=1)], request_timeout=15)
try:
    dup[a].result(timeout=20)
    out["duplicate"] = None
except Exception as e:
    out["duplicate"] = str(e)

md = admin.list_topics(timeout=10)
out["listed"] = {name: len(t.partitions) for name, t in md.topics.items() if name in (a, b)}

futures = admin.delete_topics([b], operation_timeout=10, request_timeout=15)
try:
    futures[b].result(timeout=20)
    out["delete"] = None
except Exception as e:
    out["delete"] = str(e)

# Deletion goes through the metadata log; poll Metadata a bounded number of times.
remaining = None
for _ in range(50):
    remaining = sorted(n for n in admin.list_topics(timeout=10).topics if n in (a, b))
    if b not in remaining:
        break
    time.sleep(0.1)
out["after_delete"] = remaining
print(json.dumps(out))
