// The storage id a Raft message claims for its sender, checked against the one the peer's
// handshake authenticated. The core counts votes and acknowledgements by the storage id a
// message carries, and only the handshake vouches for an id (its MAC covers it), so a message
// claiming another disk's identity is dropped on receipt, by both transports alike.

import type { LogOnce } from '../log/index.ts';
import type { Message } from '../raft/types.ts';
import type { PeerStatus } from './types.ts';

/**
 * Whether a message may carry `claimed` as its sender's storage id when the peer's handshake
 * authenticated `authenticated`: exactly that id; or a group storage id under it
 * (`<authenticated>/<suffix>`, given to a group replica that lost its state); or none (''),
 * which the core never sends (it stamps its storage id on every message) and never counts.
 * A peer that announced no id ('') can claim none.
 */
export function storageIdClaimAllowed(authenticated: string, claimed: string): boolean {
  if (claimed === '' || claimed === authenticated) return true;
  return authenticated !== '' && claimed.length > authenticated.length + 1 && claimed.startsWith(authenticated) && claimed[authenticated.length] === '/';
}

/**
 * Checks one received message of peer `from`; a message that fails is counted in the peer's
 * `droppedWrongStorageId` and logged (once per peer per LogOnce interval). Returns whether
 * to deliver it.
 */
export function admitStorageIdClaim(from: number, authenticated: string, group: string, msg: Message, stats: PeerStatus, logOnce: LogOnce | null): boolean {
  if (storageIdClaimAllowed(authenticated, msg.storageId)) return true;
  stats.droppedWrongStorageId++;
  logOnce?.warn(
    `wrong-storage-id:${from}`,
    { peer: from, group, type: msg.type, storage_id: msg.storageId, authenticated },
    "raft message dropped: its storage id is not the one the peer's handshake authenticated",
  );
  return false;
}
