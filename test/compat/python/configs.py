"""Topic configs through confluent_kafka.admin.AdminClient (librdkafka): create a topic with
configs, read them back with describe_configs, change them with alter_configs (AlterConfigs:
the whole set), read them back again.

Usage: configs.py BOOTSTRAP TOPIC
Prints one JSON object: the create error (or null), the values after create and after alter,
each as {name: [value, source]}, and the error of an alter with a bad value.
"""
import json
import sys

from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

bootstrap, topic = sys.argv[1], sys.argv[2]
admin = AdminClient({"bootstrap.servers": bootstrap})
NAMES = ["compression.type", "min.insync.replicas", "message.timestamp.type",
         "message.timestamp.difference.max.ms", "max.message.bytes", "cleanup.policy",
         "retention.ms", "segment.bytes", "unclean.leader.election.enable"]
CREATE = {"compression.type": "zstd", "min.insync.replicas": "1", "message.timestamp.type": "LogAppendTime",
          "message.timestamp.difference.max.ms": "3600000", "max.message.bytes": "2000000",
          "cleanup.policy": "delete", "retention.ms": "86400000", "segment.bytes": "1048576",
          "unclean.leader.election.enable": "false"}
ALTER = {"compression.type": "lz4", "min.insync.replicas": "1", "message.timestamp.type": "CreateTime",
         "message.timestamp.difference.max.ms": "7200000", "max.message.bytes": "500000",
         "cleanup.policy": "compact,delete", "retention.ms": "172800000", "segment.bytes": "2097152",
         "unclean.leader.election.enable": "true"}
out = {}


def describe():
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    entries = admin.describe_configs([resource], request_timeout=15)[resource].result(timeout=20)
    return {name: [entries[name].value, int(getattr(entries[name].source, "value", entries[name].source))] for name in NAMES if name in entries}


f = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1, config=CREATE)], request_timeout=15)
try:
    f[topic].result(timeout=20)
    out["create"] = None
except Exception as e:  # the test prints whatever went wrong
    out["create"] = str(e)
out["after_create"] = describe()

f = admin.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic, set_config=ALTER)], request_timeout=15)
try:
    list(f.values())[0].result(timeout=20)
    out["alter"] = None
except Exception as e:
    out["alter"] = str(e)
out["after_alter"] = describe()

f = admin.alter_configs([ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={"min.insync.replicas": "0"})], request_timeout=15)
try:
    list(f.values())[0].result(timeout=20)
    out["bad_alter"] = None
except Exception as e:
    out["bad_alter"] = str(e)
print(json.dumps(out))
