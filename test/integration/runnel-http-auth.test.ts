// issue 15, "Operations surface", the command line: `runnel` commands that use the HTTP server
// (logs, cluster status) and `./broker status` send the token from RUNNEL_HTTP_TOKEN,
// --http-token-file, or the --config's own http.auth.token_file; without one the broker's 401
// is the command's message (exit 1). Over http.tls, --config gives https:// and a CA of one's
// own is trusted through NODE_EXTRA_CA_CERTS (./runnel spawned, since Node reads it at start).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStatusCommand } from '../../src/cli/status.ts';
import { createLogger, LogRing } from '../../src/log/index.ts';
import { startBrokerNode } from '../../src/node/broker-node.ts';
import { inProcessConfig } from '../helpers/in-process-broker.ts';
import { run } from '../helpers/run.ts';
import { runnelInProcess } from '../helpers/runnel-in-process.ts';
import { selfSignedCert } from '../helpers/self-signed-cert.ts';

const REPO = join(import.meta.dirname, '..', '..');

async function withTokenBroker(
  tls: boolean,
  body: (b: { httpPort: number; token: string; tokenFile: string; dir: string; certFile: string | null }) => Promise<void>,
) {
  const { dataDir, config } = inProcessConfig('runnel-httpauth');
  const dir = mkdtempSync(join(tmpdir(), 'runnel-httpauth-cli-'));
  const token = randomBytes(24).toString('base64url');
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, token);
  chmodSync(tokenFile, 0o600);
  config.http.auth = { mode: 'token', token_file: tokenFile, metrics_open: false };
  const cert = tls ? selfSignedCert('runnel-httpauth') : null;
  if (cert) {
    config.http.tls = true;
    config.tls.cert_file = cert.certFile;
    config.tls.key_file = cert.keyFile;
  }
  // The broker's lines go to the ring only (what `runnel logs` reads).
  const ring = new LogRing({ linesMax: 50, lineBytesMax: 4096 });
  const node = await startBrokerNode(config, createLogger({ level: 'info', format: 'json', ring, destination: { write: () => undefined } }), { logRing: ring });
  try {
    await body({ httpPort: node.http!.port, token, tokenFile, dir, certFile: cert?.certFile ?? null });
  } finally {
    await node.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
    if (cert) rmSync(cert.dir, { recursive: true, force: true });
  }
}

test('runnel logs and cluster status send the token from RUNNEL_HTTP_TOKEN or --http-token-file; without it the 401 is the message', async () => {
  await withTokenBroker(false, async ({ httpPort, token, tokenFile }) => {
    const admin = `127.0.0.1:${httpPort}`;
    const refused = await runnelInProcess(['--admin', admin, 'logs'], {});
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /HTTP 401: not authenticated \(no credentials\)/);

    const byEnv = await runnelInProcess(['--admin', admin, 'logs'], { RUNNEL_HTTP_TOKEN: token });
    assert.equal(byEnv.code, 0, byEnv.stderr);
    assert.match(byEnv.stdout, /http listening/);
    const byFile = await runnelInProcess(['--admin', admin, '--http-token-file', tokenFile, 'cluster', 'status'], {});
    assert.equal(byFile.code, 0, byFile.stderr);
    const wrong = await runnelInProcess(['--admin', admin, 'cluster', 'status'], { RUNNEL_HTTP_TOKEN: `${token}x` });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /HTTP 401: not authenticated \(wrong token\)/);
    assert.ok(!wrong.stderr.includes(token), 'the message does not repeat the token');
    const both = await runnelInProcess(['--admin', admin, '--http-token-file', tokenFile, 'logs'], { RUNNEL_HTTP_TOKEN: token });
    assert.equal(both.code, 2, 'two ways at once is a usage error');

    let out = '';
    let err = '';
    const output = { stdout: (t: string) => (out += t), stderr: (t: string) => (err += t) };
    assert.equal(await runStatusCommand({ rest: ['--address', admin], env: {} }, output), 1);
    assert.match(err, /HTTP 401/);
    assert.equal(await runStatusCommand({ rest: ['--address', admin], env: { RUNNEL_HTTP_TOKEN: token } }, output), 0, err);
    assert.match(out, /^node 1 /);
  });
});

test('over http.tls, runnel --config speaks HTTPS with the config token, trusting the CA in NODE_EXTRA_CA_CERTS', async () => {
  await withTokenBroker(true, async ({ httpPort, tokenFile, dir, certFile }) => {
    const configFile = join(dir, 'broker.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { port: 1 },
        tls: { cert_file: certFile, key_file: certFile },
        http: { host: '127.0.0.1', port: httpPort, tls: true, auth: { mode: 'token', token_file: tokenFile } },
      }),
    );
    const env = { PATH: process.env.PATH, NODE_EXTRA_CA_CERTS: certFile! };
    const served = await run(join(REPO, 'runnel'), ['--config', configFile, 'logs'], { env, timeoutMs: 60_000 });
    assert.equal(served.code, 0, served.stderr);
    assert.match(served.stdout, /http listening/);
    // Without the CA, the broker's certificate is not trusted: the command says so and fails.
    const untrusted = await run(join(REPO, 'runnel'), ['--config', configFile, 'logs'], { env: { PATH: process.env.PATH }, timeoutMs: 60_000 });
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, /self.signed|certificate/i);
  });
});
