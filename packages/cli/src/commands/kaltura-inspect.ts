/** `tokensmith kaltura inspect` (a KS) and `kaltura privileges` (a privileges string). */
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import { registerSecret } from 'tokensmith/internal/core/redact.js';
import { inspect, type KsInspection } from 'tokensmith/internal/kaltura/ks/index.js';
import { check, parse } from 'tokensmith/internal/kaltura/privileges.js';
import { info, out, readStdin, UsageError } from '../io.js';
import { isoDate, secretFromEnv } from './kaltura-common.js';

/** Run `kaltura inspect`. */
export async function inspectCommand(opts: {
  ksEnv?: string;
  adminSecretEnv?: string;
  json?: boolean;
}): Promise<void> {
  const ks = opts.ksEnv
    ? secretFromEnv(opts.ksEnv)
    : (await readStdin('pipe the KS on stdin or give --ks-env VAR')).trim();
  if (!ks)
    throw new UsageError(opts.ksEnv ? `the environment variable ${opts.ksEnv} is empty` : 'no KS on stdin');
  registerSecret(ks);
  const adminSecret = secretFromEnv(opts.adminSecretEnv);
  printKsInspection(inspect(ks, { adminSecret }), !!opts.json);
}

/**
 * Print a KS inspection (table or JSON) and fail with `ERR_KS_INVALID` when a given admin secret
 * does not match; shared by `kaltura inspect` and `decode`.
 */
export function printKsInspection(result: KsInspection, json: boolean): void {
  if (json) {
    out(JSON.stringify(result, null, 2));
  } else {
    const rows: Array<[string, string]> = [
      ['version', `v${result.version}`],
      ['partner', String(result.partnerId)],
    ];
    if (result.readable) {
      rows.push(
        ['type', result.typeName ?? '-'],
        ['user', result.userId || '-'],
        ['expires', `${isoDate(result.validUntil)}${result.expired ? ' (expired)' : ''}`],
        ['privileges', result.privileges || '-'],
      );
    }
    const sig =
      result.signatureValid === undefined
        ? 'not checked (no admin secret)'
        : result.signatureValid
          ? 'valid'
          : 'INVALID';
    rows.push(['signature', sig]);
    out(rows.map(([k, v]) => `${`${k}:`.padEnd(12)}${v}`).join('\n'));
    for (const w of result.warnings) info(`warning: ${w}`);
  }
  if (result.signatureValid === false) {
    throw new TokensmithError('ERR_KS_INVALID', 'the KS signature does not match the admin secret');
  }
}

/** Run `kaltura privileges`. */
export async function privilegesCommand(text: string, opts: { json?: boolean }): Promise<void> {
  const entries = parse(text);
  const warnings = check(entries);
  if (opts.json) {
    out(JSON.stringify({ privileges: entries, warnings }, null, 2));
    return;
  }
  out(entries.map((p) => (p.value === '' ? p.name : `${p.name} = ${p.values.join(' / ')}`)).join('\n'));
  for (const w of warnings) info(`warning: ${w}`);
}
