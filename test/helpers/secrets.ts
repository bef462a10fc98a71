import { inspect } from 'node:util';
import { configureLogging } from 'tokensmith/internal/core/log.js';

/**
 * Collects everything a user could see during failure cases (log lines at debug level, error
 * messages and stacks, util.inspect output) so a test can assert no secret is in it.
 */
export class ExposureLog {
  readonly lines: string[] = [];

  /** Route all log output (debug level) here until `stop()`. */
  start(): this {
    configureLogging({ level: 'debug', sink: (line) => this.lines.push(line) });
    return this;
  }

  stop(): void {
    configureLogging({ level: 'silent', sink: (line) => process.stderr.write(`${line}\n`) });
  }

  /** Record an error the way a user would see it: message, stack, inspect (with causes). */
  error(err: unknown): void {
    if (err instanceof Error) this.lines.push(err.message, err.stack ?? '');
    this.lines.push(inspect(err, { depth: 8 }));
    try {
      this.lines.push(JSON.stringify(err));
    } catch {
      /* circular: inspect covers it */
    }
  }

  /** Record any object the library returned. */
  value(v: unknown): void {
    this.lines.push(inspect(v, { depth: 8 }), JSON.stringify(v) ?? '', String(v));
  }

  /** The secrets (of at least 4 characters) that appear anywhere, for a precise failure message. */
  leaks(secrets: Array<string | undefined>): string[] {
    const text = this.lines.join('\n');
    return secrets.filter((s): s is string => !!s && s.length >= 4 && text.includes(s));
  }
}
