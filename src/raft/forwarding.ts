// Proposal forwarding ('prop' messages, etcd-io/raft's MsgProp): a follower or a learner hands
// its proposal to the leader it knows, and the leader appends it under the same limits as a
// local proposal. The sending side and the leader's receiving side live here; Raft owns the log,
// the limits and the outbox, which it lends through the callbacks given to the constructor.

import { invariant } from '../base/invariant.ts';
import type { ConfigHistory } from './membership.ts';
import { newMessage } from './message.ts';
import { NONE } from './types.ts';
import type { Entry, Message, ProposeRefusal, ProposeResult, StateType } from './types.ts';

/**
 * The result of forwardProposal(). On the leader the entries were appended locally and the
 * index is known (`forwarded: false`, exactly like propose()). On a follower or learner they
 * were sent to the leader it knows (`forwarded: true`): nothing is known about their index,
 * and they may be applied zero times (lost with the message or with a leader change, or
 * dropped by the leader's limits) or more than once (a duplicated message). The proposer
 * learns the outcome by recognising its data (a proposal id) when it applies the entries.
 */
export type ForwardResult =
  | { ok: true; forwarded: false; index: number; term: number }
  | { ok: true; forwarded: true; leader: number; term: number }
  | { ok: false; reason: ProposeRefusal; detail?: string };

/** Counters of proposal forwarding ('prop' messages), for status and tests. */
export interface ForwardCounters {
  /** 'prop' messages this node sent to a leader. */
  sent: number;
  /** 'prop' messages this node, as leader, appended to its log. */
  appended: number;
  /** 'prop' messages this node received and dropped (not leader, transfer, limits, config entry). */
  dropped: number;
}

/** The context of a non-member's proposal a follower passed on to its leader (never passed on again). */
export const RELAYED_PROPOSAL = 'relayed';

/** What forwarding reads of its Raft node (Raft itself). */
export interface ForwardingNode {
  readonly id: number;
  readonly term: number;
  readonly state: StateType;
  readonly lead: number;
  readonly conf: ConfigHistory;
}

export class ProposalForwarder {
  readonly counters: ForwardCounters = { sent: 0, appended: 0, dropped: 0 };

  /**
   * `send` queues a message in the node's outbox; `proposeEntries` appends entries on the
   * leader under its limits (transfer, maxUncommittedBytes) and replicates them.
   */
  constructor(
    private readonly node: ForwardingNode,
    private readonly send: (m: Message) => void,
    private readonly proposeEntries: (ents: Entry[]) => ProposeResult,
  ) {}

  /**
   * Proposes on the leader, or forwards to the leader this node knows (a follower or a
   * learner), as etcd-io/raft's MsgProp. See ForwardResult for what a forwarded result means.
   */
  forward(datas: readonly Uint8Array[]): ForwardResult {
    if (datas.length === 0) return { ok: false, reason: 'empty' };
    const node = this.node;
    if (node.state === 'leader') {
      const r = this.proposeEntries(normalEntries(datas));
      return r.ok ? { ok: true, forwarded: false, index: r.index, term: r.term } : r;
    }
    if (node.lead === NONE) return { ok: false, reason: 'noLeader' };
    invariant(node.lead !== node.id, () => `node ${node.id} is a ${node.state} but names itself leader`);
    return this.sendProposal(node.lead, datas);
  }

  /**
   * As forward(), but a node that knows no leader sends the entries to `to`: a node that is
   * not a member yet (a broker joining the cluster) hears from no leader, so it hands its
   * proposal to members it can reach. Only the one that leads appends it; the others drop it
   * (receive), so sending to several is safe: the entries are normal entries under the
   * leader's own limits, exactly as any follower's forward.
   */
  forwardTo(to: number, datas: readonly Uint8Array[]): ForwardResult {
    if (datas.length === 0) return { ok: false, reason: 'empty' };
    const node = this.node;
    if (node.state === 'leader' || node.lead !== NONE) return this.forward(datas);
    invariant(to !== node.id && to !== NONE, () => `node ${node.id} cannot forward a proposal to ${to}`);
    return this.sendProposal(to, datas);
  }

  private sendProposal(to: number, datas: readonly Uint8Array[]): ForwardResult {
    const m = newMessage('prop', this.node.id, to, this.node.term);
    m.entries = normalEntries(datas);
    this.send(m);
    this.counters.sent++;
    return { ok: true, forwarded: true, leader: to, term: this.node.term };
  }

  /** The leader's side of forwarding: append like a local proposal, or drop. */
  receive(m: Message): void {
    const node = this.node;
    // Only the leader appends. A follower does not forward a member's proposal again (etcd
    // does, but a second hop only adds a way to loop between two nodes with stale ideas of the
    // leader), and a candidate has nowhere to send it. The proposer times out and retries.
    // The one exception: a proposal from a node that is no member (a joiner, which hears from
    // no leader and reached only some members) is passed on once to the leader this node
    // knows, marked so that it is never passed on again: at most two hops, no loop.
    if (node.state !== 'leader' || m.entries.length === 0) {
      if (m.entries.length > 0 && m.context !== RELAYED_PROPOSAL && node.lead !== NONE && node.lead !== m.from && !node.conf.current().isMember(m.from)) {
        if (m.entries.some((e) => e.type !== 'normal')) {
          this.counters.dropped++;
          return;
        }
        const relay = newMessage('prop', node.id, node.lead, node.term);
        relay.entries = m.entries.map((e) => ({ index: 0, term: 0, type: 'normal', data: e.data }));
        relay.context = RELAYED_PROPOSAL;
        this.send(relay);
        this.counters.sent++;
        return;
      }
      this.counters.dropped++;
      return;
    }
    // Membership changes stay on the leader (one at a time, checked in proposeConfChange);
    // a config entry from the network is a buggy or hostile peer, so the whole message goes.
    const ents: Entry[] = new Array(m.entries.length);
    for (let i = 0; i < m.entries.length; i++) {
      const e = m.entries[i];
      if (e.type !== 'normal') {
        this.counters.dropped++;
        return;
      }
      // Fresh entry objects: appendProposal assigns index and term in place, and the
      // message's entries may be shared (a duplicated message, an in-memory network).
      ents[i] = { index: 0, term: 0, type: 'normal', data: e.data };
    }
    // The same limits as a local proposal: during a transfer or above maxUncommittedBytes
    // the entries are dropped, and the proposer learns it by never seeing them applied.
    if (this.proposeEntries(ents).ok) this.counters.appended++;
    else this.counters.dropped++;
  }
}

/** Fresh normal entries for `datas`; the leader assigns index and term when it appends them. */
export function normalEntries(datas: readonly Uint8Array[]): Entry[] {
  const ents: Entry[] = new Array(datas.length);
  for (let i = 0; i < datas.length; i++) ents[i] = { index: 0, term: 0, type: 'normal', data: datas[i] };
  return ents;
}
