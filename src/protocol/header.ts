// Request and response headers, and whole-frame helpers.
//
// Request header v1: api_key INT16, api_version INT16, correlation_id INT32,
//                    client_id NULLABLE_STRING
// Request header v2: v1 + TAG_BUFFER. client_id stays a non-compact NULLABLE_STRING
//                    even here (a quirk of the spec kept for compatibility).
// Response header v0: correlation_id INT32
// Response header v1: correlation_id INT32, TAG_BUFFER
//
// Flexible API versions use request header v2 and response header v1, with one
// exception: the ApiVersions response header is always v0, because a client reads it
// before it knows which versions the broker speaks.

import { invariant } from '../base/invariant.ts';
import { apiByKey, ApiKey } from './apis/index.ts';
import type { ApiDefinition } from './api.ts';
import { DecodeError, Reader, Writer } from './primitives.ts';
import { decode, encode, type EncodeInput } from './schema.ts';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** 1 or 2; 2 when the (api, version) is flexible. */
  headerVersion: number;
}

function flexibleFor(apiKey: number, apiVersion: number): boolean {
  const api = apiByKey.get(apiKey);
  // Kafka's flexible ranges are open-ended, so a version above our maximum is flexible
  // too if the API is flexible at all; that lets us read the header of a newer request.
  return api !== undefined && apiVersion >= api.flexibleMin;
}

/** The request header version for an API version: 2 when flexible, else 1. */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  return flexibleFor(apiKey, apiVersion) ? 2 : 1;
}

/** The response header version: 1 when flexible, else 0; ApiVersions is always 0. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  if (apiKey === ApiKey.ApiVersions) return 0;
  return flexibleFor(apiKey, apiVersion) ? 1 : 0;
}

/**
 * Reads a request header from the start of a frame, leaving `reader` at the body.
 * For an unknown API key or an unsupported version the header is read as far as it can
 * be, so the broker still learns apiKey, apiVersion and correlationId and can answer.
 */
export function decodeRequestHeader(reader: Reader): RequestHeader {
  const apiKey = reader.int16();
  const apiVersion = reader.int16();
  const correlationId = reader.int32();
  const api = apiByKey.get(apiKey);
  const supported = api !== undefined && apiVersion >= api.minVersion && apiVersion <= api.maxVersion;
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  let clientId: string | null = null;
  try {
    clientId = reader.nullableString();
    if (headerVersion >= 2) reader.taggedFields();
  } catch (err) {
    // A request we cannot serve anyway is answered with an error; the rest of its
    // header does not matter. A malformed header of a supported request is an error.
    if (supported || !(err instanceof DecodeError)) throw err;
  }
  return { apiKey, apiVersion, correlationId, clientId, headerVersion };
}

/** Writes a whole response frame into a Writer: size placeholder, header, body. */
function writeResponse<Res>(api: ApiDefinition<unknown, Res>, version: number, correlationId: number, body: EncodeInput<Res>): Writer {
  const w = new Writer(512);
  w.int32(0); // size, patched once known
  w.int32(correlationId);
  if (responseHeaderVersion(api.apiKey, version) === 1) w.emptyTaggedFields();
  encode(api.response, version, body, w);
  return w;
}

/** A complete response frame (int32 size, response header, body) as one Buffer. */
export function encodeResponse<Res>(api: ApiDefinition<unknown, Res>, version: number, correlationId: number, body: EncodeInput<Res>): Buffer {
  const frame = writeResponse(api, version, correlationId, body).toBuffer();
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/**
 * The same frame as a list of slices, without concatenating referenced record bytes:
 * hand it to socket.cork()/write() or writev. The first slice holds the size.
 */
export function encodeResponseBuffers<Res>(api: ApiDefinition<unknown, Res>, version: number, correlationId: number, body: EncodeInput<Res>): Buffer[] {
  const w = writeResponse(api, version, correlationId, body);
  const parts = w.toBuffers();
  const first = parts[0]!;
  // The first slice always holds at least the size and the correlation id.
  invariant(first.length >= 8, 'first response slice shorter than its header');
  first.writeInt32BE(w.length - 4, 0);
  return parts;
}

/** A complete request frame (int32 size, request header, body), for our SDK and tests. */
export function encodeRequest<Req>(
  api: ApiDefinition<Req, unknown>,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: EncodeInput<Req>,
): Buffer {
  const w = new Writer(512);
  w.int32(0);
  w.int16(api.apiKey);
  w.int16(version);
  w.int32(correlationId);
  w.nullableString(clientId);
  if (requestHeaderVersion(api.apiKey, version) === 2) w.emptyTaggedFields();
  encode(api.request, version, body, w);
  const frame = w.toBuffer();
  frame.writeInt32BE(frame.length - 4, 0);
  return frame;
}

/**
 * Decodes a response frame (the bytes after the int32 size). Trailing bytes after the
 * body are a DecodeError: they mean the two sides disagree on the version.
 */
export function decodeResponse<Res>(api: ApiDefinition<unknown, Res>, version: number, frame: Buffer): { correlationId: number; body: Res } {
  const r = new Reader(frame);
  const correlationId = r.int32();
  if (responseHeaderVersion(api.apiKey, version) === 1) r.taggedFields();
  const body = decode(api.response, version, r);
  if (r.remaining !== 0) {
    throw new DecodeError(`${api.name} v${version} response has ${r.remaining} trailing bytes`);
  }
  return { correlationId, body };
}

/**
 * Decodes a request body after decodeRequestHeader. Bytes after the body are ignored,
 * as Apache Kafka's broker ignores them; `trailingBytes` reports how many there were.
 */
export function decodeRequestBody<Req>(api: ApiDefinition<Req, unknown>, version: number, reader: Reader): { body: Req; trailingBytes: number } {
  const body = decode(api.request, version, reader);
  return { body, trailingBytes: reader.remaining };
}
