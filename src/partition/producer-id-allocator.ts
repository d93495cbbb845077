// Hands out producer ids for InitProducerId (KIP-98). Ids come in blocks from the metadata state
// machine (the allocateProducerIds command), which is persisted and, in cluster mode, replicated:
// an id is never handed out twice, across restarts and across brokers. A restart forgets the
// unused rest of its block, which only leaves a gap, as in Kafka (KIP-730).

import type { Controller } from '../metadata/controller.ts';

/** Ids per block: one metadata write per this many InitProducerId calls. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
/** Attempts to win a block when other brokers race for the same one. */
const BLOCK_ATTEMPTS_MAX = 10;

export class ProducerIdAllocator {
  private readonly controller: Controller;
  private readonly nodeId: number;
  private next = 0;
  private end = 0;
  private refilling: Promise<void> | null = null;

  constructor(controller: Controller, nodeId: number) {
    this.controller = controller;
    this.nodeId = nodeId;
  }

  async allocate(): Promise<number> {
    // Each pass either returns an id or waits for one refill, which adds a whole block or throws.
    for (let attempt = 0; attempt <= BLOCK_ATTEMPTS_MAX; attempt++) {
      if (this.next < this.end) return this.next++;
      this.refilling ??= this.refill().finally(() => {
        this.refilling = null;
      });
      await this.refilling;
    }
    throw new Error('could not obtain a block of producer ids');
  }

  private async refill(): Promise<void> {
    for (let attempt = 0; attempt < BLOCK_ATTEMPTS_MAX; attempt++) {
      const firstId = this.controller.state.nextProducerId;
      const result = await this.controller.propose({ type: 'allocateProducerIds', nodeId: this.nodeId, firstId, count: PRODUCER_ID_BLOCK_SIZE });
      if (result.ok) {
        this.next = firstId;
        this.end = firstId + PRODUCER_ID_BLOCK_SIZE;
        return;
      }
    }
    throw new Error('producer id block allocation kept losing races');
  }
}
