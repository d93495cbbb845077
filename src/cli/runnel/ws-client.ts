// A WebSocket client for the broker's tails (docs/tailing.md). Node 20 has no WebSocket without
// --experimental-websocket, so this uses ws, the library @fastify/websocket serves with.

import { WebSocket } from 'ws';

export type WsClient = WebSocket;

/** Messages larger than this from a broker are refused (a record is at most a batch, 1 MiB by default, as JSON). */
const MESSAGE_BYTES_MAX = 64 * 1024 * 1024;

/** How to reach an authenticated broker over wss: its credentials' header, and the CA its certificate is signed by. */
export interface WsOptions {
  headers?: Record<string, string>;
  /** PEM; absent: Node's trusted CAs (and NODE_EXTRA_CA_CERTS). */
  ca?: Buffer;
}

export function openWebSocket(url: string, options: WsOptions = {}): WsClient {
  return new WebSocket(url, { maxPayload: MESSAGE_BYTES_MAX, ...(options.headers && { headers: options.headers }), ...(options.ca && { ca: options.ca }) });
}

/** The broker refused the upgrade: its HTTP status and its message ({error, message}). */
export class WsRefusedError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string) {
    super(`HTTP ${status}: ${reason}`);
    this.name = 'WsRefusedError';
    this.status = status;
    this.reason = reason;
  }
}

/**
 * Opens `url` and resolves once it is open; rejects with the broker's own message when it refuses
 * the upgrade (a 4xx or 5xx with {error, message}) or the connection fails. `onMessage` is
 * attached before the socket opens: the broker's first messages can arrive with the upgrade
 * answer, and ws hands them on before a listener added after 'open' would run.
 */
export function connectWebSocket(url: string, onMessage: (data: Buffer) => void = () => undefined, options: WsOptions = {}): Promise<WsClient> {
  return new Promise((resolve, reject) => {
    const socket = openWebSocket(url, options);
    socket.on('message', onMessage);
    socket.on('open', () => resolve(socket));
    socket.on('error', (err) => reject(err));
    socket.on('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        // A refusal is a short JSON body; more than this is not worth holding.
        if (bytes < 64 * 1024) chunks.push(chunk);
        bytes += chunk.length;
      });
      response.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let message = body;
        try {
          message = (JSON.parse(body) as { message?: string }).message ?? body;
        } catch {
          // Not JSON: show the body as it is.
        }
        reject(new WsRefusedError(response.statusCode ?? 0, message));
      });
    });
  });
}
