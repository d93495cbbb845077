// issue 15, the SDK's SASL client mechanisms without I/O (src/client/sasl-scram.ts,
// sasl-plain.ts, security.ts): the RFC 7677 example exchange byte for byte, and every server
// message a client must refuse (RFC 5802 §5.1, §9: wrong nonce, a server that cannot prove
// itself, an unknown mandatory extension, a runaway iteration count).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlainClient } from '../../../src/client/sasl-plain.ts';
import { ScramClient, saslName } from '../../../src/client/sasl-scram.ts';
import { checkSecurity, SaslExchangeError } from '../../../src/client/security.ts';

const RFC7677 = {
  clientNonce: 'rOprNGfwEbeRWgbNEkqO',
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal: 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

function rfcClient(): ScramClient {
  return new ScramClient('SCRAM-SHA-256', 'user', 'pencil', RFC7677.clientNonce);
}

test('SCRAM-SHA-256 client speaks the RFC 7677 §3 example exchange exactly', () => {
  const client = rfcClient();
  assert.equal(client.start().toString(), RFC7677.clientFirst);
  assert.equal(client.respond(Buffer.from(RFC7677.serverFirst))?.toString(), RFC7677.clientFinal);
  assert.equal(client.respond(Buffer.from(RFC7677.serverFinal)), null, 'the exchange ends once the server proved itself');
});

test('RFC 5802 §9: a server-final signature that does not prove the server is refused', () => {
  const client = rfcClient();
  client.start();
  client.respond(Buffer.from(RFC7677.serverFirst));
  assert.throws(() => client.respond(Buffer.from('v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=')), SaslExchangeError);
});

test('RFC 5802 §5.1: a server nonce that does not extend the client nonce is refused', () => {
  for (const nonce of ['r=someoneElse123', `r=${RFC7677.clientNonce}`]) {
    const client = rfcClient();
    client.start();
    assert.throws(() => client.respond(Buffer.from(`${nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096`)), /does not extend/);
  }
});

test('server-first with a mandatory extension, missing fields, or iterations out of 4096..16384 is refused', () => {
  const cases: [string, RegExp][] = [
    [`m=ext,${RFC7677.serverFirst}`, /extension/],
    [`r=${RFC7677.clientNonce}xyz,i=4096`, /lacks s/],
    [`r=${RFC7677.clientNonce}xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1`, /outside 4096\.\.16384/],
    // A server asking for a billion PBKDF2 rounds would stall the client's event loop for minutes.
    [`r=${RFC7677.clientNonce}xyz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=1000000000`, /outside/],
    ['not scram at all', /not k=v/],
  ];
  for (const [serverFirst, why] of cases) {
    const client = rfcClient();
    client.start();
    assert.throws(() => client.respond(Buffer.from(serverFirst)), why, serverFirst);
  }
});

test('server-final e= is the server refusing, and says so', () => {
  const client = rfcClient();
  client.start();
  client.respond(Buffer.from(RFC7677.serverFirst));
  assert.throws(() => client.respond(Buffer.from('e=invalid-proof')), /refused the proof \(invalid-proof\)/);
});

test('RFC 5802 §5.1: "=" and "," in a user name travel as =3D and =2C', () => {
  assert.equal(saslName('a=b,c'), 'a=3Db=2Cc');
  assert.equal(new ScramClient('SCRAM-SHA-512', 'x,y', 'p', 'nonce').start().toString(), 'n,,n=x=2Cy,r=nonce');
});

test('RFC 4616: PLAIN sends NUL user NUL password and expects nothing back', () => {
  const client = new PlainClient('alice', 'secret');
  assert.deepEqual(client.start(), Buffer.from('\0alice\0secret'));
  assert.equal(client.respond(Buffer.alloc(0)), null);
  assert.throws(() => new PlainClient('al\0ice', 'x'), /NUL/);
});

test('checkSecurity takes KafkaJS spellings, names the wrong field, and never echoes the password', () => {
  assert.deepEqual(checkSecurity({ sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } }).sasl?.mechanism, 'SCRAM-SHA-512');
  assert.deepEqual(checkSecurity({ ssl: true }).ssl, {});
  assert.equal(checkSecurity({}).ssl, null);
  assert.throws(
    () => checkSecurity({ sasl: { mechanism: 'gssapi', username: 'u', password: 'hunter2' } }),
    (e: Error) => /sasl\.mechanism/.test(e.message) && !e.message.includes('hunter2'),
  );
  assert.throws(() => checkSecurity({ sasl: { mechanism: 'plain', username: '', password: 'hunter2' } }), /sasl\.username/);
  assert.throws(() => checkSecurity({ ssl: { cert: 'x' } }), /ssl\.cert and ssl\.key go together/);
  assert.throws(() => checkSecurity({ ssl: { ca: 42 as never } }), /ssl\.ca/);
});
