// Runs the replica balancers (replica-balance.ts) on the controller: each round (the cluster
// node's one-second reconcile loop) it records which brokers are alive and, on the controller only,
// proposes what the enabled balancers decide, one command at a time, so a controller change or a
// refused command costs one round. Restore goes first; spread waits until nothing is gone.

import type { Logger } from 'pino';
import type { ApplyResult, MetadataCommand, MetadataState } from '../metadata/metadata-state.ts';
import { BrokerLiveness } from './broker-liveness.ts';
import { goneBrokers, restoreMoves, spreadMoves, type Reassign } from './replica-balance.ts';

export interface ClusterBalancerOptions {
  nodeId: number;
  /** cluster.replica_restore_after_ms; -1: off. */
  restoreAfterMs: number;
  /** cluster.balance_replicas. */
  spread: boolean;
  /** limits.max_balance_reassignments. */
  inflightMax: number;
  state: () => MetadataState;
  /** Peers whose transport connection is up. */
  connected: () => ReadonlySet<number>;
  isController: () => boolean;
  propose: (command: MetadataCommand) => Promise<ApplyResult>;
  logger: Logger;
}

export class ClusterBalancer {
  private readonly options: ClusterBalancerOptions;
  private readonly liveness = new BrokerLiveness();
  private running = false;

  constructor(options: ClusterBalancerOptions) {
    this.options = options;
  }

  /** One round at `nowMs` (a monotonic clock). */
  tick(nowMs: number): void {
    const { options } = this;
    const state = options.state();
    const live = new Set([...options.connected(), options.nodeId]);
    this.liveness.observe(
      state.allBrokers().map((b) => b.nodeId),
      live,
      nowMs,
    );
    if (this.running || !options.isController()) return;
    const input = { state, live, lastSeenMs: this.liveness.lastSeen(), nowMs, inflightMax: options.inflightMax };
    const restoring = options.restoreAfterMs >= 0;
    const gone = restoring ? goneBrokers({ ...input, restoreAfterMs: options.restoreAfterMs }) : [];
    const moves = gone.length > 0 ? restoreMoves({ ...input, restoreAfterMs: options.restoreAfterMs }) : options.spread ? spreadMoves(input) : [];
    if (moves.length === 0) return;
    this.running = true;
    void this.proposeAll(moves, gone.length > 0 ? 'restore' : 'spread', gone).finally(() => (this.running = false));
  }

  private async proposeAll(moves: Reassign[], why: 'restore' | 'spread', gone: number[]): Promise<void> {
    const { logger } = this.options;
    for (const move of moves) {
      if (!this.options.isController()) return;
      const fields = { balancer: why, topic: move.topic, partition: move.partition, replicas: move.replicas, ...(gone.length > 0 ? { gone } : {}) };
      try {
        const result = await this.options.propose(move);
        if (result.ok)
          logger.info(
            fields,
            why === 'restore'
              ? 'restoring the replication factor: moving replicas off a broker gone too long'
              : 'spreading replicas: moving one to the broker with the fewest',
          );
        else logger.warn({ ...fields, reason: result.message }, 'a balancer reassignment was refused; deciding again next round');
      } catch (err) {
        logger.info({ ...fields, reason: (err as Error).message }, 'a balancer reassignment was not proposed; deciding again next round');
        return;
      }
    }
  }
}
