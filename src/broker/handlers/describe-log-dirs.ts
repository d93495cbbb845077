// DescribeLogDirs (key 35): the broker's one data directory with the size of each partition
// replica hosted here (led or not). Runnel has no future logs (AlterReplicaLogDirs), so
// isFutureKey is false, and a replica's log never runs ahead of what it holds: offset lag 0.
//
//   DescribeLogDirsRequest => [topics] (nullable: null = every topic)
//     topics => topic [partitions]
//   DescribeLogDirsResponse => throttle_time_ms error_code(v3+) [results]
//     results => error_code log_dir [topics] total_bytes(v4+) usable_bytes(v4+)
//       topics => name [partitions]
//         partitions => partition_index partition_size offset_lag is_future_key

import { statfsSync } from 'node:fs';
import { ErrorCode } from '../../protocol/errors.ts';
import { CLUSTER_RESOURCE_NAME } from '../../security/acl.ts';
import { nestedCount, type ApiHandler } from '../handler.ts';
import type { BrokerServices } from '../services.ts';
import { describeLogDirs, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '../../protocol/apis/describe-log-dirs.ts';

type TopicResult = DescribeLogDirsResponse['results'][number]['topics'][number];

export function describeLogDirsHandler(services: BrokerServices): ApiHandler<DescribeLogDirsRequest, DescribeLogDirsResponse> {
  return {
    api: describeLogDirs,
    partitionsIn: (request) => nestedCount(request.topics, 'partitions'),
    handle(request, context) {
      // ACLs: DESCRIBE on the cluster, as Kafka.
      if (!services.authorizer.check(context.session, 'DESCRIBE', 'CLUSTER', CLUSTER_RESOURCE_NAME)) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
      }
      const wanted = request.topics === null ? null : new Map(request.topics.map((t) => [t.topic, new Set(t.partitions)]));
      const byTopic = new Map<string, TopicResult>();
      for (const { topic, index, log } of services.replicas.hostedLogs()) {
        if (wanted !== null && !wanted.get(topic)?.has(index)) continue;
        let entry = byTopic.get(topic);
        if (!entry) {
          entry = { name: topic, partitions: [] };
          byTopic.set(topic, entry);
        }
        entry.partitions.push({ partitionIndex: index, partitionSize: log.sizeBytes, offsetLag: 0, isFutureKey: false });
      }
      const topics = [...byTopic.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const t of topics) t.partitions.sort((a, b) => a.partitionIndex - b.partitionIndex);
      const volume = volumeOf(services.dataDir);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        results: [{ errorCode: ErrorCode.NONE, logDir: services.dataDir, topics, totalBytes: volume.totalBytes, usableBytes: volume.usableBytes }],
      };
    },
  };
}

/** The size and free space of the volume (v4+); -1 each when the OS cannot say. */
function volumeOf(dir: string): { totalBytes: number; usableBytes: number } {
  try {
    const s = statfsSync(dir);
    return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
  } catch {
    return { totalBytes: -1, usableBytes: -1 };
  }
}
