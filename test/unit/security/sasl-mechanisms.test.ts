import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScramServer, decodeSaslName, encodeSaslName } from '../../../src/security/sasl-scram.ts';
import { PlainServer } from '../../../src/security/sasl-plain.ts';
import { credentialFromPassword, verifyPassword, type StoredScramCredential } from '../../../src/security/credentials.ts';
import { clientProof, saltedPassword, type ScramMechanism } from '../../../src/security/scram-crypto.ts';
import type { CredentialLookup, SaslStep } from '../../../src/security/sasl-mechanism.ts';

const rfcSalt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const rfcServerNonce = '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const unknownUserKey = Buffer.from('test-key');

function lookupOf(creds: StoredScramCredential[], user = 'user'): CredentialLookup {
  return (name, mechanism) => (name === user ? creds.find((c) => c.mechanism === mechanism) : undefined);
}

function scram(mechanism: ScramMechanism, lookup: CredentialLookup, serverNonce = rfcServerNonce): ScramServer {
  return new ScramServer({ mechanism, lookup, serverNonce, unknownUserKey });
}

function challenge(step: SaslStep): string {
  assert.equal(step.kind, 'challenge', JSON.stringify(step));
  return (step as { bytes: Buffer }).bytes.toString('utf8');
}

/** A client's final message for `serverFirst`, as RFC 5802 §3 computes it. */
function clientFinal(mechanism: ScramMechanism, password: string, clientFirstBare: string, serverFirst: string, gs2 = 'n,,'): string {
  const attrs = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
  const withoutProof = `c=${Buffer.from(gs2).toString('base64')},r=${attrs.r}`;
  const salted = saltedPassword(mechanism, password, Buffer.from(attrs.s, 'base64'), Number(attrs.i));
  const proof = clientProof(mechanism, salted, `${clientFirstBare},${serverFirst},${withoutProof}`);
  return `${withoutProof},p=${proof.toString('base64')}`;
}

test('RFC 7677 §3: the server side of the SCRAM-SHA-256 example exchange, message for message', () => {
  const server = scram('SCRAM-SHA-256', lookupOf([credentialFromPassword('SCRAM-SHA-256', 'pencil', rfcSalt, 4096)]));
  const serverFirst = challenge(server.step(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO')));
  assert.equal(serverFirst, 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
  const final = server.step(Buffer.from('c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ='));
  assert.deepEqual(final.kind === 'success' && { user: final.user, bytes: final.bytes.toString() }, {
    user: 'user',
    bytes: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
  });
});

test('RFC 5802 §3: SCRAM-SHA-512 accepts the right password and refuses a wrong one with the same failure', () => {
  const cred = credentialFromPassword('SCRAM-SHA-512', 'secret-512', Buffer.from('salt-512'), 4096);
  for (const [password, kind] of [
    ['secret-512', 'success'],
    ['wrong', 'failure'],
  ] as const) {
    const server = scram('SCRAM-SHA-512', lookupOf([cred]), 'srvnonce');
    const bare = 'n=user,r=abc';
    const serverFirst = challenge(server.step(Buffer.from(`n,,${bare}`)));
    assert.match(serverFirst, /^r=abcsrvnonce,s=c2FsdC01MTI=,i=4096$/);
    const result = server.step(Buffer.from(clientFinal('SCRAM-SHA-512', password, bare, serverFirst)));
    assert.equal(result.kind, kind);
    if (result.kind === 'failure') assert.equal(result.reason, 'invalid credentials');
  }
});

test('RFC 5802 §5.1: an unknown user gets a salt and fails only at the proof, like a wrong password', () => {
  const server = scram('SCRAM-SHA-256', lookupOf([]), 'n1');
  const serverFirst = challenge(server.step(Buffer.from('n,,n=nobody,r=abc')));
  // The made-up salt is stable for a name, so asking twice does not tell either.
  assert.equal(challenge(scram('SCRAM-SHA-256', lookupOf([]), 'n1').step(Buffer.from('n,,n=nobody,r=abc'))), serverFirst);
  const result = server.step(Buffer.from(clientFinal('SCRAM-SHA-256', 'anything', 'n=nobody,r=abc', serverFirst)));
  assert.deepEqual(result, { kind: 'failure', reason: 'invalid credentials', user: 'nobody' });
});

test('RFC 5802 §5.1: a client-final message with another nonce or channel binding is refused', () => {
  const cred = credentialFromPassword('SCRAM-SHA-256', 'pw', Buffer.from('s'), 4096);
  const bare = 'n=user,r=abc';
  const server = scram('SCRAM-SHA-256', lookupOf([cred]), 'xyz');
  const serverFirst = challenge(server.step(Buffer.from(`n,,${bare}`)));
  const final = clientFinal('SCRAM-SHA-256', 'pw', bare, serverFirst).replace('r=abcxyz', 'r=abcxyq');
  assert.deepEqual(server.step(Buffer.from(final)), { kind: 'failure', reason: 'SCRAM nonce does not match', user: 'user' });

  const other = scram('SCRAM-SHA-256', lookupOf([cred]), 'xyz');
  const first2 = challenge(other.step(Buffer.from(`n,,${bare}`)));
  const final2 = clientFinal('SCRAM-SHA-256', 'pw', bare, first2).replace('c=biws', 'c=eSws');
  assert.equal(other.step(Buffer.from(final2)).kind, 'failure');
});

test("librdkafka's client-final nonce is its own nonce followed by the server's whole nonce: accepted, as Kafka accepts it (endsWith)", () => {
  // librdkafka 2.0.2 rd_kafka_sasl_scram_build_client_final_message_wo_proof writes r=<c-nonce><server r value>,
  // and Kafka's ScramSaslServer checks that the final nonce ends with the server-first nonce.
  const cred = credentialFromPassword('SCRAM-SHA-512', 'pw', Buffer.from('s'), 4096);
  const bare = 'n=user,r=cn0nce';
  const server = scram('SCRAM-SHA-512', lookupOf([cred]), 'srv');
  const serverFirst = challenge(server.step(Buffer.from(`n,,${bare}`)));
  const attrs = Object.fromEntries(serverFirst.split(',').map((a) => [a[0], a.slice(2)]));
  const withoutProof = `c=biws,r=cn0nce${attrs.r}`;
  const salted = saltedPassword('SCRAM-SHA-512', 'pw', Buffer.from('s'), 4096);
  const proof = clientProof('SCRAM-SHA-512', salted, `${bare},${serverFirst},${withoutProof}`);
  assert.equal(server.step(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`)).kind, 'success');
});

test('RFC 5802 §7: malformed client-first messages, channel binding and a foreign authzid are refused', () => {
  const lookup = lookupOf([credentialFromPassword('SCRAM-SHA-256', 'pw', Buffer.from('s'), 4096)]);
  for (const message of [
    '',
    'garbage',
    'n,,r=abc,n=user',
    'p=tls-unique,,n=user,r=abc',
    'n,,n=,r=abc',
    'n,,n=us=er,r=abc',
    'n,a=other,n=user,r=abc',
    'n,,n=user,r=',
  ]) {
    assert.equal(scram('SCRAM-SHA-256', lookup).step(Buffer.from(message)).kind, 'failure', message);
  }
  // An authzid equal to the user is fine.
  assert.equal(scram('SCRAM-SHA-256', lookup).step(Buffer.from('n,a=user,n=user,r=abc')).kind, 'challenge');
  // A third message after the exchange ended is refused.
  const server = scram('SCRAM-SHA-256', lookup);
  server.step(Buffer.from('garbage'));
  assert.equal(server.step(Buffer.from('n,,n=user,r=abc')).kind, 'failure');
});

test('RFC 5802 §5.1: saslname escapes "," and "="', () => {
  assert.equal(encodeSaslName('a,b=c'), 'a=2Cb=3Dc');
  assert.equal(decodeSaslName('a=2Cb=3Dc'), 'a,b=c');
  assert.equal(decodeSaslName('a=2Db'), null);
});

test('RFC 4616 §2: PLAIN checks the password against the stored SCRAM credential (SHA-512 first)', () => {
  const c512 = credentialFromPassword('SCRAM-SHA-512', 'right', Buffer.from('s1'), 4096);
  const c256 = credentialFromPassword('SCRAM-SHA-256', 'old', Buffer.from('s2'), 4096);
  const lookup = lookupOf([c512, c256]);
  const plain = (token: string) => new PlainServer(lookup).step(Buffer.from(token));
  assert.deepEqual(plain('\0user\0right'), { kind: 'success', bytes: Buffer.alloc(0), user: 'user' });
  assert.deepEqual(plain('user\0user\0right'), { kind: 'success', bytes: Buffer.alloc(0), user: 'user' });
  assert.deepEqual(plain('\0user\0old'), { kind: 'failure', reason: 'invalid credentials', user: 'user' });
  assert.deepEqual(plain('\0nobody\0right'), { kind: 'failure', reason: 'invalid credentials', user: 'nobody' });
  assert.equal(plain('admin\0user\0right').kind, 'failure');
  for (const bad of ['', 'user', '\0user', '\0user\0', '\0\0pw', '\0u\0p\0x', `\0${'u'.repeat(256)}\0pw`])
    assert.equal(plain(bad).kind, 'failure', JSON.stringify(bad));
  // Only SHA-256 stored: PLAIN uses it.
  assert.equal(new PlainServer(lookupOf([c256])).step(Buffer.from('\0user\0old')).kind, 'success');
  // One message only.
  const once = new PlainServer(lookup);
  once.step(Buffer.from('\0user\0right'));
  assert.equal(once.step(Buffer.from('\0user\0right')).kind, 'failure');
});

test('verifyPassword: true for the password the credential was made from, false otherwise', () => {
  const cred = credentialFromPassword('SCRAM-SHA-256', 'pencil', rfcSalt, 4096);
  assert.equal(verifyPassword(cred, 'pencil'), true);
  assert.equal(verifyPassword(cred, 'pencil '), false);
});
