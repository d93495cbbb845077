// The broker's SASL inputs, made once per process: the settings from `sasl`, the credentials from
// the applied metadata, the clock and randomness the pure mechanisms take as arguments; and
// sasl.bootstrap_user, created through the controller on the first start.

import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { RunnelConfig } from '../config/index.ts';
import type { Controller } from '../metadata/controller.ts';
import { LogOnce } from '../log/index.ts';
import type { SaslEnvironment } from '../broker/sasl-authenticator.ts';
import type { BrokerServices } from '../broker/services.ts';
import { BOOTSTRAP_PASSWORD_ENV, createBootstrapUser } from '../broker/scram-admin.ts';

/** Failed logins are logged once per client host this often at most. */
const SASL_FAILURE_LOG_INTERVAL_MS = 60_000;
/** How often the bootstrap user is tried again while no controller is elected (cluster mode). */
const BOOTSTRAP_RETRY_MS = 1_000;
/** Tries at most: ten minutes of a cluster without a controller is a problem the operator sees elsewhere. */
const BOOTSTRAP_ATTEMPTS_MAX = 600;

export function saslEnvironment(config: RunnelConfig, controller: Controller, logger: Logger): SaslEnvironment {
  return {
    mechanisms: config.sasl.mechanisms,
    sessionLifetimeMs: config.sasl.session_lifetime_ms,
    lookup: (user, mechanism) => controller.state.scramCredential(user, mechanism),
    nowMs: () => Date.now(),
    // 18 random bytes: 24 base64 characters, none of them ','.
    nonce: () => randomBytes(18).toString('base64'),
    unknownUserKey: randomBytes(32),
    failures: new LogOnce(logger, { intervalMs: SASL_FAILURE_LOG_INTERVAL_MS }),
  };
}

/**
 * Creates sasl.bootstrap_user if it has no credential yet and RUNNEL_BOOTSTRAP_PASSWORD is set.
 * Only the controller proposes it (in cluster mode every broker runs this; the others wait until
 * it exists or they lead). Returns a stop function for the broker's close.
 */
export function startBootstrapUser(config: RunnelConfig, services: BrokerServices, env: NodeJS.ProcessEnv = process.env): () => void {
  const user = config.sasl.bootstrap_user;
  if (user === null) return () => {};
  const password = env[BOOTSTRAP_PASSWORD_ENV];
  const logger = services.logger;
  let attempts = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const attempt = async (): Promise<void> => {
    if (stopped) return;
    attempts++;
    const controller = services.controller;
    const leads = controller.controllerId === services.nodeId;
    const exists = controller.state.scramUsers().some((u) => u.user === user);
    if (exists) return;
    if (password === undefined || password === '') {
      logger.warn({ user, variable: BOOTSTRAP_PASSWORD_ENV }, 'sasl.bootstrap_user does not exist and the bootstrap password variable is not set: not created');
      return;
    }
    if (leads) {
      const outcome = await createBootstrapUser(services, user, password);
      if (outcome === 'created') logger.info({ user }, 'sasl.bootstrap_user created (SCRAM-SHA-256 and SCRAM-SHA-512)');
      if (outcome === 'created' || outcome === 'exists') return;
      if (typeof outcome === 'object') logger.warn({ user, reason: outcome.failed }, 'sasl.bootstrap_user not created yet; trying again');
    }
    if (attempts < BOOTSTRAP_ATTEMPTS_MAX && !stopped) {
      timer = setTimeout(() => void attempt().catch((err: unknown) => logger.error({ err }, 'sasl.bootstrap_user failed')), BOOTSTRAP_RETRY_MS);
      timer.unref();
    }
  };
  void attempt().catch((err: unknown) => logger.error({ err }, 'sasl.bootstrap_user failed'));
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
