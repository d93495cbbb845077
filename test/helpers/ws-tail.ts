// A WebSocket tail client for tests: collects what a broker's /v1/ws/... stream sends and waits,
// bounded in time, for what a test expects.

import { connectWebSocket, type WsClient, type WsOptions } from '../../src/cli/runnel/ws-client.ts';
import { waitFor } from './wait-for.ts';

export interface TailMessage {
  type: string;
  [field: string]: unknown;
}

export class TailClient {
  readonly messages: TailMessage[] = [];
  closed: { code: number; reason: string } | null = null;

  socket!: WsClient;

  private constructor() {}

  static async open(url: string, options: WsOptions = {}): Promise<TailClient> {
    const tail = new TailClient();
    tail.socket = await connectWebSocket(url, (data) => tail.messages.push(JSON.parse(data.toString('utf8')) as TailMessage), options);
    tail.socket.on('close', (code, reason) => (tail.closed = { code, reason: reason.toString('utf8') }));
    return tail;
  }

  of(type: string): TailMessage[] {
    return this.messages.filter((m) => m.type === type);
  }

  /** The records the broker counted as dropped for this client, so far. */
  droppedCount(): number {
    return this.of('dropped').reduce((sum, m) => sum + (m.count as number), 0);
  }

  /** Records that arrived, each once, in offset order (one partition). */
  assertOffsetsAscending(): void {
    const offsets = this.records().map((r) => r.offset as number);
    for (let i = 1; i < offsets.length; i++) {
      if (!(offsets[i]! > offsets[i - 1]!)) throw new Error(`offset ${offsets[i]} after ${offsets[i - 1]}`);
    }
  }

  records(): TailMessage[] {
    return this.of('record');
  }

  async waitForRecords(count: number, timeoutMs = 10_000): Promise<TailMessage[]> {
    await waitFor(() => this.records().length >= count, `${count} records (have ${this.records().length})`, timeoutMs, 10);
    return this.records();
  }

  async waitForType(type: string, timeoutMs = 10_000): Promise<TailMessage> {
    await waitFor(() => this.of(type).length > 0, `a "${type}" message`, timeoutMs, 10);
    return this.of(type)[0]!;
  }

  /** Closes and waits for the close to finish (the broker counts the tail until then). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.socket.close();
    await waitFor(() => this.closed !== null, 'the tail to close', 5_000, 10);
  }
}
