// Issue 12, "docs/protocol.md lists every API with the versions offered": the table in
// docs/protocol.md ("APIs and versions") must be exactly what a broker advertises in ApiVersions,
// so an API or version added without its row (or a row left behind) fails here.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { apiByKey, ApiKey } from '../../src/protocol/apis/index.ts';
import { startInProcessBroker } from '../helpers/in-process-broker.ts';

/** The table's rows as "Name (key): min-max", from `| Produce (0) | 0–10 | ...` or `| OffsetDelete (47) | 0 | ...`. */
function documentedVersions(): string[] {
  const doc = readFileSync(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const table = doc.slice(doc.indexOf('## APIs and versions'), doc.indexOf('### Topic ids'));
  const rows: string[] = [];
  for (const m of table.matchAll(/^\| (\w+) \((\d+)\) \| (\d+)(?:–(\d+))? \|/gm)) rows.push(`${m[1]} (${m[2]}): ${m[3]}-${m[4] ?? m[3]}`);
  return rows.sort();
}

test('docs/protocol.md lists every API the broker advertises, with the versions it advertises', async () => {
  const broker = await startInProcessBroker('api-versions-docs');
  try {
    const res = await broker.client.request(apiByKey.get(ApiKey.ApiVersions)!, 3, { clientSoftwareName: 'runnel-test', clientSoftwareVersion: '0' });
    const advertised = (res.apiKeys as Array<{ apiKey: number; minVersion: number; maxVersion: number }>)
      .map((k) => `${apiByKey.get(k.apiKey)!.name} (${k.apiKey}): ${k.minVersion}-${k.maxVersion}`)
      .sort();
    assert.ok(advertised.length > 20, `ApiVersions answered ${advertised.length} APIs`);
    assert.deepEqual(documentedVersions(), advertised);
  } finally {
    await broker.close();
  }
});
