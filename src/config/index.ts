// Runnel's configuration: JSON files with Go Queue's field names, validated by
// an ajv schema, with built-in defaults and RUNNEL_* environment overrides.
// See docs/configuration.md for every field.
export { parseArgs, type ParsedArgs } from './args.ts';
export { defaultConfig, loadConfig, loadConfigDetailed, type LoadedConfig, type LoadOptions } from './load.ts';
export { ConfigError } from './errors.ts';
export { resolveClusterAuth, SECRET_FILE_BYTES_MAX, type ClusterAuth } from './cluster-auth.ts';
export { isLoopbackHost, resolveHttpAuth, type HttpAuthSecrets, type HttpTlsFiles } from './http-auth.ts';
export { ENV_PREFIX, NON_CONFIG_ENV_PREFIXES, type EnvOverride } from './env.ts';
export { formatGoDuration, parseGoDuration } from './duration.ts';
export { parseSize } from './size.ts';
export { DEFAULT_LISTENER_NAME, effectiveListeners, type ResolvedListener } from './listeners.ts';
export type {
  ClusterConfig,
  ClusterMember,
  DiscoveryConfig,
  DiscoveryType,
  ConfigWarning,
  FlushConfig,
  GroupsConfig,
  FlushMode,
  ClientAuth,
  HttpAuthConfig,
  HttpAuthMode,
  HttpConfig,
  IgnoredField,
  ListenerConfig,
  LimitsConfig,
  LogFormat,
  LogLevel,
  RunnelConfig,
  SecurityProtocolName,
  ServerConfig,
  TlsConfig,
} from './types.ts';
