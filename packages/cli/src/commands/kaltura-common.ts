/** Shared option handling of the `kaltura` commands: connection, secrets from the environment, output. */
import type { FetchLike } from 'tokensmith/internal/core/http.js';
import { registerSecret } from 'tokensmith/internal/core/redact.js';
import { isoTime } from 'tokensmith/internal/core/time-bounds.js';
import { KalturaAdmin } from 'tokensmith/internal/kaltura/admin.js';
import { fetchForTlsFlags, type TlsFlags } from '../config/tls-files.js';
import { UsageError } from '../io.js';

/** Connection options as commander hands them over. */
export interface ConnectionOpts extends TlsFlags {
  serviceUrl?: string;
  partnerId?: string;
  adminSecretEnv?: string;
  ksEnv?: string;
  allowInsecureHttp?: boolean;
  json?: boolean;
}

/**
 * Service URL, partner id and the insecure-http opt-out, from flags or the environment, and a fetch
 * with `--ca-file` / `--client-cert` / `--client-key` when given.
 */
export function connection(opts: ConnectionOpts): {
  serviceUrl: string;
  partnerId: number;
  allowInsecureHttp: boolean;
  fetch?: FetchLike;
} {
  const serviceUrl = opts.serviceUrl ?? process.env.KALTURA_SERVICE_URL ?? 'https://www.kaltura.com';
  const rawPartner = opts.partnerId ?? process.env.KALTURA_PARTNER_ID;
  if (rawPartner === undefined) throw new UsageError('give --partner-id (or set KALTURA_PARTNER_ID)');
  if (!/^-?\d+$/.test(rawPartner.trim()))
    throw new UsageError(`--partner-id must be an integer (got "${rawPartner}")`);
  const fetch = fetchForTlsFlags(opts);
  return {
    serviceUrl,
    partnerId: Number(rawPartner),
    allowInsecureHttp: !!opts.allowInsecureHttp,
    ...(fetch ? { fetch } : {}),
  };
}

/** A secret from the environment variable `name`, registered for redaction; undefined when unset. */
export function secretFromEnv(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const value = process.env[name];
  if (!value) return undefined;
  registerSecret(value);
  return value;
}

/** A secret that must be there. */
export function requireSecret(name: string | undefined, what: string): string {
  const value = secretFromEnv(name);
  // Worded so that "secret: value" redaction does not eat the hint.
  if (!value) throw new UsageError(`${what}; put it in the environment variable ${name ?? '(none given)'}`);
  return value;
}

/**
 * Admin operations for the command: a KS from `--ks-env` (default `KALTURA_SESSION`) wins, as in
 * the seed's scripts; otherwise sessions are started with the admin secret.
 */
export function adminFor(opts: ConnectionOpts): KalturaAdmin {
  const conn = connection(opts);
  const ks = secretFromEnv(opts.ksEnv);
  if (ks) return new KalturaAdmin({ ...conn, session: ks });
  const adminSecret = requireSecret(
    opts.adminSecretEnv ?? 'KALTURA_ADMIN_SECRET',
    'admin operations need the admin secret',
  );
  return new KalturaAdmin({ ...conn, adminSecret });
}

/** Parse a point in time: Unix seconds, an ISO date, or a duration from now (`90d`, `12h`, `30m`, `45s`). */
export function parseWhen(text: string, now = Date.now()): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const d = parseDurationOrUndefined(t);
  if (d !== undefined) return Math.floor(now / 1000) + d;
  const ms = Date.parse(t);
  if (Number.isFinite(ms)) return Math.floor(ms / 1000);
  throw new UsageError(`cannot read "${text}" as Unix seconds, an ISO date or a duration like 90d`);
}

/** Parse a duration: plain seconds or `<n>[smhdw]`. */
export function parseDuration(text: string): number {
  const d = parseDurationOrUndefined(text.trim());
  if (d === undefined) throw new UsageError(`cannot read "${text}" as a duration (seconds, or like 8h, 1d)`);
  return d;
}

function parseDurationOrUndefined(t: string): number | undefined {
  if (/^\d+$/.test(t)) return Number(t);
  const m = /^(\d+)\s*([smhdw])$/i.exec(t);
  if (!m) return undefined;
  const unit = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[
    m[2]!.toLowerCase() as 's' | 'm' | 'h' | 'd' | 'w'
  ];
  return Number(m[1]) * unit;
}

/** ISO date of Unix seconds, `-` when undefined, `out of range` when no date holds it (never throws). */
export function isoDate(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  return isoTime(seconds * 1000)?.replace('.000Z', 'Z') ?? 'out of range';
}
