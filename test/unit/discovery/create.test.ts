// issue 11 (discovery): cluster.discovery.type "dns" and "etcd" build those providers from the
// loaded config.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../../../src/config/index.ts';
import { createDiscovery, DnsDiscovery, EtcdDiscovery } from '../../../src/discovery/index.ts';
import { captureLogger } from '../../helpers/log-capture.ts';

test('type dns builds a DnsDiscovery, type etcd an EtcdDiscovery', () => {
  const { logger } = captureLogger();
  const dns = loadConfig({ env: { RUNNEL_CLUSTER__DISCOVERY__TYPE: 'dns', RUNNEL_CLUSTER__DISCOVERY__NAME: 'runnel.test' } }).cluster;
  assert.ok(createDiscovery(dns, logger) instanceof DnsDiscovery);
  const etcd = loadConfig({ env: { RUNNEL_CLUSTER__DISCOVERY__TYPE: 'etcd' } }).cluster;
  assert.ok(createDiscovery(etcd, logger) instanceof EtcdDiscovery);
});
