import { format } from 'node:util';
import { redact, redactValue } from './redact.js';
import { terminalSafe } from './terminal-text.js';

/** Log levels, most verbose first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/** Where log lines go; defaults to standard error so stdout stays clean for values. */
export type LogSink = (line: string) => void;

/** A structured logger whose output is redacted inside the logger, never at call sites. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** True when a message at `level` would be written (skip building costly fields otherwise). */
  enabled(level: LogLevel): boolean;
}

interface LoggerState {
  level: LogLevel | 'silent';
  sink: LogSink;
  json: boolean;
}

function levelFromEnv(): LogLevel | 'silent' {
  const v = process.env.TOKENSMITH_LOG?.toLowerCase();
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' || v === 'silent' ? v : 'warn';
}

const state: LoggerState = {
  level: levelFromEnv(),
  sink: (line) => process.stderr.write(`${line}\n`),
  json: process.env.TOKENSMITH_LOG_FORMAT === 'json',
};

/** Change the process-wide log level, sink or format (the CLI's `--verbose`, tests capturing lines). */
export function configureLogging(opts: {
  level?: LogLevel | 'silent';
  sink?: LogSink;
  json?: boolean;
}): void {
  if (opts.level) state.level = opts.level;
  if (opts.sink) state.sink = opts.sink;
  if (opts.json !== undefined) state.json = opts.json;
}

function write(level: LogLevel, scope: string, msg: string, fields?: Record<string, unknown>): void {
  if (ORDER[level] < ORDER[state.level]) return;
  const safeFields = fields ? (redactValue(fields) as Record<string, unknown>) : undefined;
  const safeMsg = redact(msg);
  if (state.json) {
    state.sink(JSON.stringify({ time: new Date().toISOString(), level, scope, msg: safeMsg, ...safeFields }));
    return;
  }
  const rest = safeFields && Object.keys(safeFields).length > 0 ? ` ${format('%o', safeFields)}` : '';
  // One line, without escape sequences: messages may quote a server (JSON lines escape them anyway).
  state.sink(redact(terminalSafe(`tokensmith ${level} [${scope}] ${safeMsg}${rest}`.replace(/\n\s*/g, ' '))));
}

/** A logger for one module (`scope` names it in every line). */
export function getLogger(scope: string): Logger {
  return {
    debug: (m, f) => write('debug', scope, m, f),
    info: (m, f) => write('info', scope, m, f),
    warn: (m, f) => write('warn', scope, m, f),
    error: (m, f) => write('error', scope, m, f),
    enabled: (level) => ORDER[level] >= ORDER[state.level],
  };
}
