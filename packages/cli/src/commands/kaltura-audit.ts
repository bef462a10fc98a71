/** `tokensmith kaltura audit`: risky app tokens as a table or JSON. */
import { SEVERITIES, type Severity } from 'tokensmith/internal/kaltura/audit.js';
import { out, UsageError } from '../io.js';
import { table } from '../text-table.js';
import { adminFor, type ConnectionOpts } from './kaltura-common.js';

/** Options of `kaltura audit`. */
export interface AuditOpts extends ConnectionOpts {
  minSeverity?: string;
  maxExpiryDays?: string;
  includeDisabled?: boolean;
  failOn?: string;
}

function severity(text: string | undefined, flag: string): Severity | undefined {
  if (text === undefined) return undefined;
  const s = text.toLowerCase() as Severity;
  if (!SEVERITIES.includes(s)) throw new UsageError(`${flag} must be high, medium or low`);
  return s;
}

/** Run `kaltura audit`. Exit code 1 with `--fail-on` when a finding at that severity or above exists. */
export async function auditCommand(opts: AuditOpts): Promise<void> {
  const minSeverity = severity(opts.minSeverity, '--min-severity') ?? 'low';
  const failOn = severity(opts.failOn, '--fail-on');
  const maxExpiryDays = Number(opts.maxExpiryDays ?? 365);
  if (!Number.isFinite(maxExpiryDays) || maxExpiryDays < 0)
    throw new UsageError('--max-expiry-days must be a number');
  const entries = await adminFor(opts).audit({
    minSeverity,
    maxExpiryDays,
    includeDisabled: !!opts.includeDisabled,
  });
  if (opts.json) {
    out(JSON.stringify(entries, null, 2));
  } else if (entries.length === 0) {
    out('no risky app tokens found');
  } else {
    const rows = entries.flatMap((e) =>
      e.findings.map((f, i) => [
        i === 0 ? e.id : '',
        i === 0 ? (e.description ?? '') : '',
        f.severity.toUpperCase(),
        f.rule,
        f.reason,
      ]),
    );
    out(table(['ID', 'DESCRIPTION', 'SEVERITY', 'RULE', 'REASON'], rows));
  }
  if (failOn && entries.some((e) => SEVERITIES.indexOf(e.severity) <= SEVERITIES.indexOf(failOn)))
    process.exitCode = 1;
}
