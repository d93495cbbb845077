// Construction of messages with every field present (see Message in types.ts).

import type { Entry, Message, MessageType } from './types.ts';

const NO_ENTRIES: Entry[] = Object.freeze([] as Entry[]) as Entry[];

export function newMessage(type: MessageType, from: number, to: number, term: number): Message {
  return {
    type,
    from,
    to,
    term,
    logTerm: 0,
    index: 0,
    entries: NO_ENTRIES,
    commit: 0,
    reject: false,
    rejectHint: 0,
    snapshot: null,
    context: '',
    storageId: '',
    toStorageId: '',
  };
}

/** Vote-request context that marks a campaign started by leadership transfer (§3.10). */
export const CAMPAIGN_TRANSFER = 'transfer';
