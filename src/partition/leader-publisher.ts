// Publishes the partitions this broker leads in the metadata group (issue 11), so that every broker,
// also one that hosts no replica of a partition, can name its leader in Metadata. KRaft does the
// same in spirit: leadership is part of the replicated metadata.
//
// A leader publishes itself (its node id and Raft term, the leader epoch) once it serves clients
// (ReplicatedPartition.servesClients: an entry of its term committed), not when it is elected: a
// client sent to it earlier would only be told NOT_LEADER_OR_FOLLOWER. What to publish is read
// from the state each window rather than remembered per event: the state says what is already
// recorded, so a proposal that was lost (a controller change, a timeout) is simply made again in
// the next window, and a leader that lost its leadership meanwhile publishes nothing. Many
// partitions change leader at once after a broker restart, so one window's changes go into one
// command, at most `batchMax` partitions, and only one command is in flight at a time.

import type { Logger } from 'pino';
import { LogOnce } from '../log/log-once.ts';
import type { ApplyResult, LeaderPublication, MetadataCommand, MetadataState } from '../metadata/metadata-state.ts';

/** A partition this broker leads and serves, with its topic incarnation and leader epoch. */
export interface LedPartition {
  topic: string;
  index: number;
  topicId: string;
  leaderEpoch: number;
}

/**
 * The publications `state` lacks for the partitions led here: those whose recorded leader epoch is
 * below this leader's (or none is recorded), at most `max`. A record with a higher epoch means
 * this broker's leadership is already over; it publishes nothing for that partition.
 */
export function leadersToPublish(led: Iterable<LedPartition>, state: MetadataState, nodeId: number, max: number): LeaderPublication[] {
  const out: LeaderPublication[] = [];
  for (const p of led) {
    if (out.length >= max) break;
    // The topic was deleted (and maybe created again) while this replica still ran.
    if (state.topic(p.topic)?.topicId !== p.topicId) continue;
    const recorded = state.publishedLeader(p.topic, p.index);
    if (recorded && recorded.leaderEpoch >= p.leaderEpoch) continue;
    out.push({ topicId: p.topicId, partition: p.index, leaderId: nodeId, leaderEpoch: p.leaderEpoch });
  }
  return out;
}

export interface LeaderPublisherOptions {
  nodeId: number;
  /** The partitions this broker leads and serves now. */
  led: () => Iterable<LedPartition>;
  /** The applied metadata on this broker. */
  state: () => MetadataState;
  propose: (command: MetadataCommand) => Promise<ApplyResult>;
  /** Partitions per command at most (≤ PUBLISHED_LEADERS_PER_COMMAND_MAX). */
  batchMax: number;
  logger: Logger;
}

export class LeaderPublisher {
  private readonly options: LeaderPublisherOptions;
  private readonly logOnce: LogOnce;
  private inFlight = false;
  private proposedCount = 0;

  constructor(options: LeaderPublisherOptions) {
    this.options = options;
    this.logOnce = new LogOnce(options.logger, { intervalMs: 60_000, maxKeys: 16 });
  }

  /** Commands proposed so far (status, the benchmark). */
  get proposed(): number {
    return this.proposedCount;
  }

  /** One window: proposes what the state lacks, unless a proposal is still in flight. */
  tick(): void {
    if (this.inFlight) return;
    const { nodeId, batchMax } = this.options;
    const leaders = leadersToPublish(this.options.led(), this.options.state(), nodeId, batchMax);
    if (leaders.length === 0) return;
    this.inFlight = true;
    this.proposedCount++;
    this.options
      .propose({ type: 'publishLeaders', leaders })
      .then(
        (result) => {
          if (!result.ok) this.logOnce.warn('refused', { error: result.error, message: result.message }, 'publishing partition leaders was refused');
        },
        (err: Error) => {
          // No controller right now, or a timeout: the next window proposes again from the state.
          this.logOnce.log('debug', err.name, { err: err.message, partitions: leaders.length }, 'publishing partition leaders failed; retrying');
        },
      )
      .finally(() => {
        this.inFlight = false;
      });
  }
}
