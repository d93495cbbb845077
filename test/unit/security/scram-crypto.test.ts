import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clientProof, proofMatches, saltedPassword, scramKeys, serverSignature } from '../../../src/security/scram-crypto.ts';

// RFC 7677 §3: the SCRAM-SHA-256 exchange for user "user", password "pencil".
const clientFirstBare = 'n=user,r=rOprNGfwEbeRWgbNEkqO';
const serverFirst = 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
const clientFinalWithoutProof = 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
const authMessage = `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;

test('RFC 7677 §3: the SCRAM-SHA-256 proof and server signature of the RFC example', () => {
  const salted = saltedPassword('SCRAM-SHA-256', 'pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
  const proof = clientProof('SCRAM-SHA-256', salted, authMessage);
  assert.equal(proof.toString('base64'), 'dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
  const keys = scramKeys('SCRAM-SHA-256', salted);
  assert.equal(serverSignature('SCRAM-SHA-256', keys.serverKey, authMessage).toString('base64'), '6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
});

test('RFC 5802 §3: the broker accepts the right proof and refuses a wrong one', () => {
  for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
    const salted = saltedPassword(mechanism, 'pencil', Buffer.from('salt'), 4096);
    const keys = scramKeys(mechanism, salted);
    assert.equal(proofMatches(mechanism, keys, authMessage, clientProof(mechanism, salted, authMessage)), true);
    const wrong = saltedPassword(mechanism, 'pencils', Buffer.from('salt'), 4096);
    assert.equal(proofMatches(mechanism, keys, authMessage, clientProof(mechanism, wrong, authMessage)), false);
    assert.equal(proofMatches(mechanism, keys, authMessage, Buffer.alloc(3)), false);
  }
});
