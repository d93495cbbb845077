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
