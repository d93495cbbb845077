// issue 15 ACLs: the authorizer config loads, defaults to off with no super users, takes super
// users from the environment as a comma list, and a principal not `Type:name` is refused naming
// the field.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../../src/config/index.ts';

const scratch = mkdtempSync(join(tmpdir(), 'runnel-config-authorizer-'));
let files = 0;

function load(value: unknown, env: NodeJS.ProcessEnv = {}) {
  const path = join(scratch, `config-${files++}.json`);
  writeFileSync(path, JSON.stringify(value));
  return loadConfig({ file: path, env });
}

test('authorizer: off by default, no super users; a file turns it on', () => {
  assert.deepEqual(load({}).authorizer, { enabled: false, super_users: [] });
  const on = load({ authorizer: { enabled: true, super_users: ['User:admin', 'User:CN=ops,O=Runnel'] } }).authorizer;
  assert.deepEqual(on, { enabled: true, super_users: ['User:admin', 'User:CN=ops,O=Runnel'] });
});

test('authorizer: RUNNEL_AUTHORIZER__SUPER_USERS takes a comma list', () => {
  const { authorizer } = load({}, { RUNNEL_AUTHORIZER__ENABLED: 'true', RUNNEL_AUTHORIZER__SUPER_USERS: 'User:a,User:b' });
  assert.deepEqual(authorizer, { enabled: true, super_users: ['User:a', 'User:b'] });
});

test('authorizer: a super user that is not Type:name is refused naming the field', () => {
  assert.throws(
    () => load({ authorizer: { super_users: ['User:ok', 'admin'] } }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.field, 'authorizer.super_users[1]');
      assert.match(error.message, /must be a principal such as "User:admin"/);
      return true;
    },
  );
});
