/**
 * Provider `kaltura.adminSession`: `session.start` with the admin secret, or a KS made locally
 * with the same secret when `local` is set (no network; the server accepts both).
 */
import { TokensmithError } from '../core/errors.js';
import type { FetchLike } from '../core/http.js';
import type { AcquireContext, Provider } from '../core/provider.js';
import { registerSecret } from '../core/redact.js';
import type { TlsOptions } from '../core/tls.js';
import { checkTokenValue } from '../core/token-value.js';
import { describeKs, sessionCredential } from './app-token-session.js';
import { KalturaClient, normalizeServiceUrl } from './client.js';
import { decode, encode } from './ks/index.js';
import { warnUnknown } from './privileges.js';
import { localExpiry } from './session-info.js';

/** Options for {@link adminSession}. */
export interface AdminSessionOptions {
  /** Required unless `local` is set. */
  serviceUrl?: string;
  partnerId: number;
  /** The partner's admin secret. */
  adminSecret: string;
  /** Session user (default `''`). */
  userId?: string;
  /** 2 ADMIN (default) or 0 USER. */
  type?: number;
  /** Lifetime, seconds (default 86400; the server caps it at the partner's maximum). */
  expiry?: number;
  privileges?: string;
  /** Make the KS locally instead of calling `session.start`. */
  local?: boolean;
  /** KS version for `local` (default 2). */
  ksVersion?: 1 | 2;
  /** A KS to use as is (checked with `session.get`). */
  ks?: string;
  fetch?: FetchLike;
  /**
   * Trusted CAs (a private CA) and a client certificate for the connections to the server, as in
   * `oauth2` providers (core/tls.ts); loaded on the first request. Ignored when `fetch` is given.
   */
  tls?: TlsOptions;
  timeoutMs?: number;
  allowInsecureHttp?: boolean;
  /** Clock, epoch ms. */
  now?: () => number;
}

/** A provider of admin (or user) sessions made with the admin secret. */
export function adminSession(options: AdminSessionOptions): Provider & { readonly kind: 'kaltura' } {
  const { partnerId, adminSecret } = options;
  if (!Number.isInteger(partnerId))
    throw new TokensmithError('ERR_CONFIG_INVALID', 'partnerId must be an integer');
  if (!adminSecret && !options.ks) throw new TokensmithError('ERR_CONFIG_INVALID', 'adminSecret is required');
  registerSecret(adminSecret);
  registerSecret(options.ks);
  // A KS goes into headers and query strings as is: refuse one that could split them.
  if (options.ks) checkTokenValue(options.ks, 'ks', { code: 'ERR_CONFIG_INVALID', source: 'adminSession' });
  if (!options.local && !options.serviceUrl) {
    throw new TokensmithError('ERR_CONFIG_INVALID', 'serviceUrl is required unless local is set');
  }
  const now = options.now ?? Date.now;
  const type = options.type ?? 2;
  const expiry = options.expiry ?? 86400;
  const userId = options.userId ?? '';
  const privileges = options.privileges ?? '';
  if (privileges) warnUnknown(privileges, 'adminSession privileges');
  const client = options.serviceUrl
    ? new KalturaClient({ ...options, serviceUrl: options.serviceUrl })
    : undefined;
  const issuer = options.serviceUrl
    ? normalizeServiceUrl(options.serviceUrl, options.allowInsecureHttp)
    : 'local';

  const acquire = async (ctx: AcquireContext) => {
    if (options.ks) {
      if (!client) throw new TokensmithError('ERR_CONFIG_INVALID', 'checking a given KS needs serviceUrl');
      const { info, expiresAt, obtainedAt } = await describeKs(client, options.ks, ctx.signal);
      return sessionCredential(info, client.serviceUrl, expiresAt, obtainedAt, { source: 'given' });
    }
    if (options.local || !client) {
      const obtainedAt = now();
      const ks = encode({
        version: options.ksVersion ?? 2,
        adminSecret,
        partnerId,
        userId,
        type,
        expiry,
        privileges,
        now,
      });
      const info = {
        ks,
        partnerId,
        userId,
        expiry: Math.floor(obtainedAt / 1000) + expiry,
        sessionType: type,
        privileges,
      };
      return sessionCredential(info, issuer, info.expiry * 1000, obtainedAt, { source: 'local' });
    }
    const res = await client.request<unknown>(
      'session',
      'start',
      { secret: adminSecret, userId, type, partnerId, expiry, privileges: privileges || undefined },
      { signal: ctx.signal },
    );
    if (typeof res.result !== 'string' || !res.result) {
      throw new TokensmithError('ERR_RESPONSE_INVALID', 'Kaltura session.start did not return a KS', {
        source: 'Kaltura session.start',
      });
    }
    const ks = res.result;
    registerSecret(ks, 'transient');
    checkTokenValue(ks, 'ks', { source: 'Kaltura session.start' });
    // We hold the secret, so the KS tells us the expiry the server really granted (it caps it).
    let validUntil: number | undefined;
    try {
      validUntil = decode(ks, { adminSecret }).validUntil;
    } catch {
      validUntil = undefined;
    }
    const serverSeconds = Math.floor((res.serverTime ?? res.receivedAt) / 1000);
    const expirySeconds = validUntil ?? serverSeconds + expiry;
    const info = { ks, partnerId, userId, expiry: expirySeconds, sessionType: type, privileges };
    return sessionCredential(
      info,
      client.serviceUrl,
      localExpiry(expirySeconds, res.serverTime, res.receivedAt),
      res.receivedAt,
      {
        source: 'session.start',
      },
    );
  };

  return {
    kind: 'kaltura',
    cacheKey: [
      'kaltura:admin',
      issuer,
      partnerId,
      options.ks ? 'given-ks' : '',
      userId,
      type,
      privileges,
    ].join('|'),
    clientId: `partner:${partnerId}`,
    acquire,
  };
}
