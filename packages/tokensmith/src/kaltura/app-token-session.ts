/**
 * Provider `kaltura.appTokenSession`: a widget session (`session.startWidgetSession` with `_<partnerId>`),
 * then `appToken.startSession` with `tokenHash = hex(hash(hashType, widgetKs + token))`. The
 * TokenManager renews the session when its expiry nears (there is no refresh: it starts a new one).
 */
import { createHash } from 'node:crypto';
import { Credential } from '../core/credential.js';
import { TokensmithError } from '../core/errors.js';
import type { FetchLike } from '../core/http.js';
import { getLogger } from '../core/log.js';
import type { AcquireContext, Provider } from '../core/provider.js';
import { registerSecret } from '../core/redact.js';
import type { TlsOptions } from '../core/tls.js';
import { checkTokenValue } from '../core/token-value.js';
import { KalturaClient, requireString } from './client.js';
import { type PredictedSession, predictAppTokenSession } from './merge-rules.js';
import { format, parse, warnUnknown } from './privileges.js';
import { localExpiry, parseSessionInfo, type SessionInfo } from './session-info.js';
import { sessionTypeName } from './session-type.js';

const log = getLogger('kaltura');

/** Hash types an app token may use. */
export type AppTokenHashType = 'MD5' | 'SHA1' | 'SHA256' | 'SHA512';

/** The four hash types, strongest last. */
export const APP_TOKEN_HASH_TYPES: readonly AppTokenHashType[] = ['MD5', 'SHA1', 'SHA256', 'SHA512'];

/** Options for {@link appTokenSession}. */
export interface AppTokenSessionOptions {
  /** e.g. `https://www.kaltura.com`. */
  serviceUrl: string;
  partnerId: number;
  appTokenId: string;
  /** The app token's `token` value (a secret). */
  appToken: string;
  /** Must be the token's hash type; the server's default is `SHA1`, which is the default here too. */
  hashType?: AppTokenHashType;
  /** Requested user; the token's `sessionUserId` wins. */
  userId?: string;
  /** Requested type (0 USER, 2 ADMIN); the token's `sessionType` wins. */
  type?: number;
  /** Requested lifetime, seconds; capped by the token. */
  expiry?: number;
  /** Requested privileges; reserved names and names the token sets are dropped by the server. */
  sessionPrivileges?: string;
  /** Lifetime of the throw-away widget session, seconds (default 600). */
  widgetExpiry?: number;
  /** A KS to use as is instead of starting sessions (the seed's `ks` setting / `KALTURA_SESSION`). */
  ks?: string;
  fetch?: FetchLike;
  /**
   * Trusted CAs (a private CA) and a client certificate for the connections to the server, as in
   * `oauth2` providers (core/tls.ts); loaded on the first request. Ignored when `fetch` is given.
   */
  tls?: TlsOptions;
  timeoutMs?: number;
  allowInsecureHttp?: boolean;
}

/** The provider, with what it learned about the server's merge rules. */
export interface AppTokenSessionProvider extends Provider {
  readonly kind: 'kaltura';
  /** What the server's rules will do with the requested options, as far as known without the token's settings. */
  readonly prediction: PredictedSession;
  /** What the server said about the last session (the KS itself is on the credential only). */
  readonly lastSession: Omit<SessionInfo, 'ks'> | undefined;
  /** Differences between what was requested and what the server granted, for the last session. */
  readonly lastReport: string[];
}

/** `hex(hash(hashType, ks + token))`, lowercase, as the server computes it. */
export function tokenHash(hashType: AppTokenHashType, ks: string, token: string): string {
  if (!APP_TOKEN_HASH_TYPES.includes(hashType)) {
    throw new TokensmithError(
      'ERR_CONFIG_INVALID',
      `hashType must be one of ${APP_TOKEN_HASH_TYPES.join(', ')}`,
    );
  }
  return createHash(hashType.toLowerCase())
    .update(ks + token)
    .digest('hex');
}

/** Build the credential record for a session. */
export function sessionCredential(
  info: SessionInfo,
  serviceUrl: string,
  expiresAt: number,
  obtainedAt: number,
  extra: Record<string, string | number | boolean> = {},
): Credential {
  return new Credential({
    v: 1,
    kind: 'kaltura',
    token: info.ks,
    // `Authorization: KS <ks>` for generic HTTP use (Kaltura's microservices read it); api_v3 reads
    // only the `ks` parameter, which `kalturaFetch` and the client add.
    tokenType: 'KS',
    expiresAt,
    obtainedAt,
    subject: info.userId || undefined,
    issuer: serviceUrl,
    meta: {
      partnerId: info.partnerId,
      sessionType: info.sessionType,
      sessionTypeName: sessionTypeName(info.sessionType),
      privileges: info.privileges,
      ...extra,
    },
  });
}

/** Start a session directly or check a given KS with `session.get`. */
export async function describeKs(
  client: KalturaClient,
  ks: string,
  signal?: AbortSignal,
): Promise<{ info: SessionInfo; expiresAt: number; obtainedAt: number }> {
  registerSecret(ks, 'transient');
  const res = await client.request('session', 'get', {}, { ks, signal });
  const info = parseSessionInfo({ ...(res.result as object), ks }, 'Kaltura session.get');
  return {
    info,
    expiresAt: localExpiry(info.expiry, res.serverTime, res.receivedAt),
    obtainedAt: res.receivedAt,
  };
}

/** A provider of KSs started from an app token. */
export function appTokenSession(options: AppTokenSessionOptions): AppTokenSessionProvider {
  const { partnerId, appTokenId, appToken } = options;
  if (!Number.isInteger(partnerId))
    throw new TokensmithError('ERR_CONFIG_INVALID', 'partnerId must be an integer');
  if (!appTokenId && !options.ks) throw new TokensmithError('ERR_CONFIG_INVALID', 'appTokenId is required');
  if (!appToken && !options.ks) throw new TokensmithError('ERR_CONFIG_INVALID', 'appToken is required');
  registerSecret(appToken);
  registerSecret(options.ks);
  // A KS goes into headers and query strings as is: refuse one that could split them.
  if (options.ks)
    checkTokenValue(options.ks, 'ks', { code: 'ERR_CONFIG_INVALID', source: 'appTokenSession' });
  const hashType = options.hashType ?? 'SHA1';
  tokenHash(hashType, '', ''); // validates hashType early
  const client = new KalturaClient(options);
  const request = {
    userId: options.userId,
    type: options.type,
    expiry: options.expiry,
    sessionPrivileges: options.sessionPrivileges,
  };
  const prediction = predictAppTokenSession(request);
  if (options.sessionPrivileges) warnUnknown(options.sessionPrivileges, 'appTokenSession sessionPrivileges');
  for (const note of prediction.notes) log.debug(`appTokenSession: ${note}`);

  let lastSession: Omit<SessionInfo, 'ks'> | undefined;
  let lastReport: string[] = [];

  const acquire = async (ctx: AcquireContext): Promise<Credential> => {
    if (options.ks) {
      const { info, expiresAt, obtainedAt } = await describeKs(client, options.ks, ctx.signal);
      lastSession = withoutKs(info);
      lastReport = [];
      return sessionCredential(info, client.serviceUrl, expiresAt, obtainedAt, { source: 'given' });
    }
    const widget = await client.call<unknown>(
      'session',
      'startWidgetSession',
      { widgetId: `_${partnerId}`, expiry: options.widgetExpiry ?? 600 },
      { signal: ctx.signal },
    );
    const widgetKs = requireString(widget, 'ks', 'Kaltura session.startWidgetSession');
    registerSecret(widgetKs, 'transient');
    checkTokenValue(widgetKs, 'ks', { source: 'Kaltura session.startWidgetSession' });
    const hash = tokenHash(hashType, widgetKs, appToken);
    // The hash plus the widget KS start a session until the widget KS expires: keep it out of logs.
    registerSecret(hash, 'transient');
    const res = await client.request(
      'appToken',
      'startSession',
      {
        id: appTokenId,
        tokenHash: hash,
        userId: request.userId,
        type: request.type,
        expiry: request.expiry,
        sessionPrivileges: request.sessionPrivileges,
      },
      { ks: widgetKs, signal: ctx.signal },
    );
    const info = parseSessionInfo(res.result, 'Kaltura appToken.startSession');
    lastSession = withoutKs(info);
    lastReport = compare(request, info, res.serverTime ?? res.receivedAt);
    for (const line of lastReport) log.info(`appTokenSession: ${line}`);
    return sessionCredential(
      info,
      client.serviceUrl,
      localExpiry(info.expiry, res.serverTime, res.receivedAt),
      res.receivedAt,
      {
        appTokenId,
      },
    );
  };

  return {
    kind: 'kaltura',
    cacheKey: [
      'kaltura:appToken',
      client.serviceUrl,
      partnerId,
      options.ks ? 'given-ks' : appTokenId,
      options.userId ?? '',
      options.type ?? '',
      options.sessionPrivileges ?? '',
    ].join('|'),
    clientId: appTokenId,
    prediction,
    get lastSession() {
      return lastSession;
    },
    get lastReport() {
      return [...lastReport];
    },
    acquire,
  };
}

function withoutKs(info: SessionInfo): Omit<SessionInfo, 'ks'> {
  const { ks: _secret, ...rest } = info;
  return rest;
}

/** What the server changed relative to the request, one sentence each. */
function compare(
  request: { userId?: string; type?: number; expiry?: number; sessionPrivileges?: string },
  info: SessionInfo,
  serverNowMs: number,
): string[] {
  const out: string[] = [];
  if (request.userId !== undefined && request.userId !== info.userId) {
    out.push(`requested user "${request.userId}" became "${info.userId}" (the app token fixes the user)`);
  }
  if (request.type !== undefined && request.type !== info.sessionType) {
    out.push(
      `requested type ${sessionTypeName(request.type)} became ${sessionTypeName(info.sessionType)} (the app token fixes the type)`,
    );
  }
  const granted = parse(info.privileges);
  for (const p of parse(request.sessionPrivileges)) {
    if (!granted.some((g) => g.name === p.name && g.value === p.value)) {
      out.push(`requested privilege "${format([p])}" was not granted (reserved, or set by the app token)`);
    }
  }
  const lifetime = info.expiry - Math.floor(serverNowMs / 1000);
  if (request.expiry !== undefined && lifetime < request.expiry - 5) {
    out.push(`requested expiry ${request.expiry}s was shortened to about ${lifetime}s by the app token`);
  }
  return out;
}
