// issue 15 (mTLS): a client certificate's principal is `User:<subject DN>` exactly as Kafka's
// default SSL principal builder prints it (X500Principal.getName(), RFC 2253), so ACLs written
// for Kafka match. Checked against certificates made by openssl and read by node:crypto.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, test } from 'node:test';
import { principalFromSubject } from '../../../src/security/principal.ts';
import { makeTestCerts } from '../../helpers/certs.ts';

const certs = makeTestCerts();
after(() => certs.remove());

test('the subject DN in RFC 2253 order: most specific first, comma-separated, no spaces', () => {
  const subject = new X509Certificate(certs.read(certs.clientCertFile)).subject;
  assert.equal(principalFromSubject(subject), 'User:CN=client,OU=Clients,O=Runnel');
});

test('special characters stay escaped as RFC 2253 writes them', () => {
  assert.equal(principalFromSubject('C=US\nO=Run\\, nel\nCN=a\\+b'), 'User:CN=a\\+b,O=Run\\, nel,C=US');
});
