// The CLI's Kafka connection (src/client/connection.ts) against a scripted server on
// 127.0.0.1: pipelined requests are answered in order and matched by correlation id, an
// answer that never comes fails within the request deadline, and an answer that matches no
// request fails the connection (the stream cannot be trusted after it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { ConnectionError, KafkaConnection, parseHostPort } from '../../../src/client/connection.ts';
import { apiVersions } from '../../../src/protocol/apis/index.ts';
import { FrameDecoder } from '../../../src/protocol/frame.ts';
import { decodeRequestHeader, encodeResponse } from '../../../src/protocol/header.ts';
import { Reader } from '../../../src/protocol/primitives.ts';

/** A server that hands each request's correlation id to `answer`, which writes (or not) a reply. */
async function scriptedServer(answer: (socket: Socket, correlationId: number, n: number) => void): Promise<{ server: Server; address: string }> {
  const server = createServer((socket) => {
    const decoder = new FrameDecoder(1 << 20);
    let n = 0;
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) answer(socket, decodeRequestHeader(new Reader(frame)).correlationId, n++);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return { server, address: `127.0.0.1:${port}` };
}

function versionsAnswer(correlationId: number, errorCode: number): Buffer {
  return encodeResponse(apiVersions, 0, correlationId, { errorCode, apiKeys: [] });
}

test('pipelined requests resolve with their own answers', async (t) => {
  const { server, address } = await scriptedServer((socket, id, n) => socket.write(versionsAnswer(id, n)));
  t.after(() => server.close());
  const connection = await KafkaConnection.connect(address);
  t.after(() => connection.close());
  const answers = await Promise.all([0, 1, 2].map(() => connection.request(apiVersions, {}, 0)));
  assert.deepEqual(
    answers.map((a) => a.errorCode),
    [0, 1, 2],
  );
});

test('an answer that never comes fails the request within its deadline', async (t) => {
  const { server, address } = await scriptedServer(() => {});
  t.after(() => server.close());
  const connection = await KafkaConnection.connect(address, { limits: { requestTimeoutMs: 200 } });
  await assert.rejects(connection.request(apiVersions, {}, 0), (e: unknown) => e instanceof ConnectionError && /no answer within 200 ms/.test(e.message));
  await assert.rejects(connection.request(apiVersions, {}, 0), ConnectionError, 'the connection stays failed');
});

test('an answer with a correlation id no request has fails the connection', async (t) => {
  const { server, address } = await scriptedServer((socket, id) => socket.write(versionsAnswer(id + 7, 0)));
  t.after(() => server.close());
  const connection = await KafkaConnection.connect(address);
  await assert.rejects(connection.request(apiVersions, {}, 0), /correlation id \d+ matches no request/);
});

test('HOST:PORT is checked before connecting', () => {
  assert.deepEqual(parseHostPort('[::1]:9092'), { host: '::1', port: 9092 });
  for (const bad of ['host', ':9092', 'h:0', 'h:70000', 'h:x']) assert.throws(() => parseHostPort(bad), /is not HOST:PORT/, bad);
});
