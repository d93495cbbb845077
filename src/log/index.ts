// Logging: pino JSON lines (or pretty lines on a terminal) and a rate limiter
// for repetitive lines caused by bad client input.
export { createLogger, loggerFromConfig, resolveLogFormat, type Logger, type LoggerOptions } from './logger.ts';
export { LogOnce, type LogOnceLevel, type LogOnceOptions } from './log-once.ts';
export { LogRing, LOG_LEVELS, levelOfLine, type LogLevelName, type LogLine, type LogRingLimits } from './log-ring.ts';
