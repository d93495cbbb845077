// One client connection: frames in, handlers called, responses out in request order.
//
// Kafka clients pipeline requests and match responses by correlation id, but they also rely on a
// connection answering in the order it was asked (librdkafka checks this), so a slow request (an
// acks=all produce, a long-polling fetch) holds back the answers behind it. Reading pauses while
// too many requests are in flight or the socket's write buffer is full, which bounds the memory one
// client can make us hold.

import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { apiByKey, ApiKey } from '../protocol/apis/index.ts';
import { decodeRequestHeader, encodeResponse, encodeResponseBuffers } from '../protocol/header.ts';
import { FrameDecoder } from '../protocol/frame.ts';
import { Reader } from '../protocol/primitives.ts';
import { decode } from '../protocol/schema.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { noResponse, servedVersions, type AnyApiHandler, type HandlerResult, type RequestContext } from './handler.ts';
import type { LogOnce } from '../log/index.ts';
import { usesSasl, type Session } from '../security/session.ts';
import { SaslAuthenticator, type SaslEnvironment } from './sasl-authenticator.ts';

export interface ConnectionLimits {
  frameBytesMax: number;
  inflightRequestsMax: number;
  partitionsPerRequestMax: number;
}

interface Slot {
  done: boolean;
  /** The response frame as slices (record bytes are referenced, not copied); null for no response. */
  frame: Buffer[] | null;
  /** A refused SASL login: the connection ends once this answer is written. */
  closeAfter?: boolean;
}

/** How long a connection that ends after a refused login waits for its last answer to leave. */
const SASL_CLOSE_LINGER_MS = 1_000;

export class Connection {
  readonly id: number;
  private readonly socket: Socket;
  private readonly handlers: Map<number, AnyApiHandler>;
  private readonly limits: ConnectionLimits;
  private readonly logger: Logger;
  private readonly badInput: LogOnce;
  private readonly decoder: FrameDecoder;
  private readonly pending: Slot[] = [];
  private readonly abort = new AbortController();
  private readonly remoteAddress: string;
  private readonly session: Session;
  private readonly sasl: SaslAuthenticator | undefined;
  private writeBlocked = false;
  private closed = false;

  constructor(
    id: number,
    socket: Socket,
    session: Session,
    handlers: Map<number, AnyApiHandler>,
    limits: ConnectionLimits,
    logger: Logger,
    badInput: LogOnce,
    sasl?: SaslEnvironment,
  ) {
    this.id = id;
    this.socket = socket;
    this.session = session;
    if (usesSasl(session.securityProtocol)) {
      // A SASL listener without SASL settings would serve everyone unauthenticated: never.
      if (!sasl) throw new Error(`listener ${session.listener} is ${session.securityProtocol} but the broker has no SASL settings`);
      this.sasl = new SaslAuthenticator(sasl, session);
    }
    this.handlers = handlers;
    this.limits = limits;
    this.logger = logger;
    this.badInput = badInput;
    this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    this.decoder = new FrameDecoder(limits.frameBytesMax);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.writeBlocked = false;
      this.updateReading();
    });
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  get closedSignal(): AbortSignal {
    return this.abort.signal;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.reject('frame', `bad frame: ${(err as Error).message}`);
      return;
    }
    for (const frame of frames) {
      if (this.closed) return;
      this.onFrame(frame);
    }
    this.updateReading();
  }

  private onFrame(frame: Buffer): void {
    if (this.sasl?.expectsRawToken) {
      this.onRawSaslToken(frame);
      return;
    }
    const reader = new Reader(frame);
    let header;
    try {
      header = decodeRequestHeader(reader);
    } catch (err) {
      this.reject('header', `malformed request header: ${(err as Error).message}`);
      return;
    }
    const { apiKey, apiVersion, correlationId, clientId } = header;
    const handler = this.handlers.get(apiKey);
    if (!handler) {
      this.reject(`api-${apiKey}`, `unknown or unsupported api key ${apiKey}`, { clientId });
      return;
    }
    const api = handler.api;
    const verdict = this.sasl?.gate(apiKey) ?? 'serve';
    if (verdict !== 'serve') {
      // Kafka closes a connection that sends anything but the SASL exchange before it logged in,
      // or a request after its session expired without re-authenticating (KIP-368).
      this.reject(
        `sasl-${verdict}`,
        verdict === 'expired'
          ? `${api.name} after the SASL session expired (sasl.session_lifetime); the client did not re-authenticate`
          : `${api.name} before SASL authentication completed`,
        { clientId, listener: this.session.listener },
      );
      return;
    }
    const served = servedVersions(handler);
    if (apiVersion < served.minVersion || apiVersion > served.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) {
        // docs/architecture.md, Connections: answer with a v0 body carrying UNSUPPORTED_VERSION and our ranges, so the
        // client can retry with a version we speak (librdkafka sends v3 first and does exactly that).
        this.respondUnsupportedApiVersions(correlationId);
        return;
      }
      this.reject(`version-${apiKey}-${apiVersion}`, `${api.name} v${apiVersion} is not supported (we speak v${served.minVersion}-${served.maxVersion})`, {
        clientId,
      });
      return;
    }
    // The erased boundary: `body` is what this handler's own schema decoded (AnyApiHandler).
    let body: unknown;
    try {
      body = decode(api.request, apiVersion, reader);
    } catch (err) {
      this.reject(`decode-${apiKey}`, `malformed ${api.name} v${apiVersion} request: ${(err as Error).message}`, { clientId });
      return;
    }
    const partitions = handler.partitionsIn?.(body) ?? 0;
    if (partitions > this.limits.partitionsPerRequestMax) {
      this.reject(`partitions-${apiKey}`, `${api.name} names ${partitions} partitions; max_partitions_per_request is ${this.limits.partitionsPerRequestMax}`, {
        clientId,
      });
      return;
    }
    const slot: Slot = { done: false, frame: null };
    this.pending.push(slot);
    const context: RequestContext = {
      apiVersion,
      correlationId,
      clientId,
      connectionId: this.id,
      remoteAddress: this.remoteAddress,
      session: this.session,
      sasl: this.sasl,
      signal: this.abort.signal,
    };
    let result: HandlerResult<unknown> | Promise<HandlerResult<unknown>>;
    try {
      result = handler.handle(body, context);
    } catch (err) {
      this.failed(api.name, err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (value) => this.complete(slot, handler, context, value),
        (err) => this.failed(api.name, err),
      );
    } else {
      this.complete(slot, handler, context, result);
    }
  }

  private complete(slot: Slot, handler: AnyApiHandler, context: RequestContext, result: HandlerResult<unknown>): void {
    if (this.closed) return;
    if (result !== noResponse) {
      try {
        slot.frame = encodeResponseBuffers(handler.api, context.apiVersion, context.correlationId, result);
      } catch (err) {
        this.failed(handler.api.name, err);
        return;
      }
    }
    slot.done = true;
    if (this.sasl?.failed) slot.closeAfter = true;
    this.writeReady();
  }

  /**
   * SaslHandshake v0 (KIP-43): the tokens that follow are bare size-prefixed frames, and so are
   * the answers. A refused login has no way to say why: the connection just closes.
   */
  private onRawSaslToken(token: Buffer): void {
    const answer = this.sasl!.authenticate(token);
    if (answer.errorCode !== 0) {
      this.close();
      return;
    }
    const size = Buffer.allocUnsafe(4);
    size.writeInt32BE(answer.authBytes.length, 0);
    this.pending.push({ done: true, frame: [size, answer.authBytes] });
    this.writeReady();
  }

  /** Writes every finished response at the head of the queue, in request order. */
  private writeReady(): void {
    let wrote = false;
    while (this.pending.length > 0 && this.pending[0].done) {
      const slot = this.pending.shift()!;
      if (slot.frame) {
        if (!wrote) this.socket.cork();
        wrote = true;
        for (const part of slot.frame) {
          if (!this.socket.write(part)) this.writeBlocked = true;
        }
      }
      if (slot.closeAfter) {
        if (wrote) this.socket.uncork();
        this.endAfterWrites();
        return;
      }
    }
    if (wrote) process.nextTick(() => this.socket.uncork());
    this.updateReading();
  }

  /** Closes once what was written is sent (close() would drop it), and reads nothing more. */
  private endAfterWrites(): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    this.socket.pause();
    this.socket.end();
    setTimeout(() => this.socket.destroy(), SASL_CLOSE_LINGER_MS).unref();
  }

  private updateReading(): void {
    if (this.closed) return;
    const shouldPause = this.writeBlocked || this.pending.length >= this.limits.inflightRequestsMax;
    if (shouldPause && !this.socket.isPaused()) this.socket.pause();
    else if (!shouldPause && this.socket.isPaused()) this.socket.resume();
  }

  private respondUnsupportedApiVersions(correlationId: number): void {
    const api = apiByKey.get(ApiKey.ApiVersions)!;
    // Like Kafka, list every API we serve, so the client can pick its next ApiVersions version.
    const apiKeys = [...this.handlers.values()].map((h) => ({ apiKey: h.api.apiKey, ...servedVersions(h) })).sort((a, b) => a.apiKey - b.apiKey);
    const body = { errorCode: ErrorCode.UNSUPPORTED_VERSION, apiKeys, throttleTimeMs: 0 };
    this.pending.push({ done: true, frame: [encodeResponse(api, 0, correlationId, body)] });
    this.writeReady();
  }

  /** Bad client input: log it (once per kind and client host a minute), then drop this connection only. */
  private reject(kind: string, message: string, extra: Record<string, unknown> = {}): void {
    const host = this.remoteAddress.slice(0, this.remoteAddress.lastIndexOf(':'));
    this.badInput.warn(`${kind}|${host}`, { kind, connection: this.id, remote: this.remoteAddress, ...extra }, message);
    this.close();
  }

  /** A handler threw: a bug of ours, not the client's. Log it with the stack and drop the connection. */
  private failed(apiName: string, err: unknown): void {
    this.logger.error({ err, api: apiName, connection: this.id }, 'request handler failed; closing the connection');
    this.close();
  }
}
