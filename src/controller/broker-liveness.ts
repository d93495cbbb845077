// When this broker last saw each registered broker alive (connected to its transport, or itself),
// for the replica-restore balancer (replica-balance.ts). Every broker keeps it, not only the
// controller, so a broker that becomes controller already has its own view: the transport is a
// full mesh, so a follower sees the same peers the controller does. It is not replicated: a broker
// that just started counts every broker as seen at its first observation, so a restart of the
// controller delays a restore by at most one `replica_restore_after`, never starts one early.
// Pure: the time comes in.

export class BrokerLiveness {
  private readonly seen = new Map<number, number>();

  /** Records one observation: `brokers` registered, `live` alive now. Brokers no longer registered are forgotten (bounded). */
  observe(brokers: readonly number[], live: ReadonlySet<number>, nowMs: number): void {
    const registered = new Set(brokers);
    for (const id of this.seen.keys()) if (!registered.has(id)) this.seen.delete(id);
    for (const id of brokers) if (live.has(id) || !this.seen.has(id)) this.seen.set(id, nowMs);
  }

  /** Broker id → the last time it was seen alive. */
  lastSeen(): ReadonlyMap<number, number> {
    return this.seen;
  }
}
