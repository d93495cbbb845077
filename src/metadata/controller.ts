// The seam between the Kafka handlers and whoever changes the metadata: the LocalController on a
// single node, the metadata Raft group (MetadataGroup) in cluster mode.

import type { ApplyResult, MetadataCommand, MetadataState } from './metadata-state.ts';

export type MetadataListener = (command: MetadataCommand, state: MetadataState) => void;

export interface Controller {
  /** The applied metadata on this broker. */
  readonly state: MetadataState;
  /** The controller's broker id (Metadata's controller_id); -1 when none is known. */
  readonly controllerId: number;
  /** Changes the metadata; resolves with the command's result once it is applied on this broker. */
  propose(command: MetadataCommand): Promise<ApplyResult>;
  /** Called after every successfully applied command, in order. */
  onApplied(listener: MetadataListener): void;
}

// The errors a Controller's propose rejects with, which the handlers map to Kafka error codes.

/** Cluster mode: this broker does not lead the metadata group; `leaderId` does (0: nobody yet). */
export class NotControllerError extends Error {
  readonly leaderId: number;
  constructor(leaderId: number) {
    super(leaderId > 0 ? `this broker is not the controller; broker ${leaderId} is` : 'no controller is elected yet');
    this.name = 'NotControllerError';
    this.leaderId = leaderId;
  }
}

/** Cluster mode: the command was not applied within the proposal timeout; it may still be later. */
export class MetadataTimeoutError extends Error {
  constructor(timeoutMs: number) {
    super(`metadata command not applied within ${timeoutMs} ms`);
    this.name = 'MetadataTimeoutError';
  }
}

/** Single node: the command was applied but the node store could not save it. */
export class MetadataNotSavedError extends Error {
  constructor(cause: unknown) {
    super(`metadata change not saved: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'MetadataNotSavedError';
  }
}
