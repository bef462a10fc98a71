import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type Provider from 'oidc-provider';
import type { ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';
import { EmulatorStore } from './adapter.js';
import { accountOf, type EmulatorUser, registerPasswordGrant, registerTokenExchangeGrant } from './grants.js';
import { loadOidcProvider } from './load-provider.js';
import { type EmulatorMtls, MTLS_CLIENT_AUTH_METHODS, mtlsFeature } from './mtls.js';
import {
  deviceDeniedPage,
  deviceSuccessPage,
  errorPage,
  loginPage,
  userCodeConfirmPage,
  userCodeInputPage,
} from './pages.js';
import { completeLogin, type RobotLogin, type RobotOptions, type RobotResult } from './robot.js';

/** Options of {@link startOidcEmulator}. */
export interface OidcEmulatorOptions {
  /** Port on 127.0.0.1 (default 0: a free one). */
  port?: number;
  /** Serve under `/realms/{realm}` like Keycloak (issuer gets that path). */
  realm?: string;
  /** With `realm`, also put Keycloak's legacy `/auth` prefix in front. */
  legacyAuthPrefix?: boolean;
  /** Access token lifetime, seconds (default 300, as Keycloak). */
  accessTokenTtl?: number;
  /** Refresh token lifetime, seconds (default 1800, as Keycloak). */
  refreshTokenTtl?: number;
  /** Rotate refresh tokens on use; reusing a rotated one revokes the grant (default true). */
  rotateRefreshTokens?: boolean;
  /** Device flow polling interval enforced with `slow_down`, seconds (default 1). */
  deviceInterval?: number;
  /** Interval announced to clients, when it should differ from the enforced one (to test `slow_down`). */
  announcedDeviceInterval?: number;
  /** Device code lifetime, seconds (default 600); short values let tests reach `expired_token`. */
  deviceCodeTtl?: number;
  /**
   * Hold every token endpoint answer this long, milliseconds (default 0): widens the window in which
   * concurrent clients would each send a request, so stampede tests show a missing lock for sure.
   */
  tokenDelayMs?: number;
  /** Users (default: alice / bob with fixed demo passwords). */
  users?: EmulatorUser[];
  /** Extra clients, on top of the built-in ones. */
  clients?: ClientMetadata[];
  /**
   * Serve https with this certificate, ask every client for a certificate, and turn on mutual TLS
   * (RFC 8705): `tls_client_auth` (certificates `ca` signed), `self_signed_tls_client_auth` and
   * certificate-bound access tokens (see mtls.ts).
   */
  mtls?: EmulatorMtls;
  /**
   * DPoP (RFC 9449; oidc-provider accepts proofs and binds tokens by default): with `requireNonce`,
   * every proof must carry a server nonce (`use_dpop_nonce` first).
   */
  dpop?: { requireNonce?: boolean };
}

/** Counters of what the emulator served. */
export interface OidcEmulatorStats {
  /** Requests to the token endpoint, all grants (counted as they arrive, before any processing). */
  tokenRequests: number;
  /** Token requests per `grant_type`. */
  byGrant: Record<string, number>;
  /** `slow_down` answers sent to device-code polling. */
  slowDowns: number;
  /** Requests to the revocation endpoint. */
  revocations: number;
}

/** A running emulator. */
export interface OidcEmulator {
  /** Issuer URL (discovery at `{issuer}/.well-known/openid-configuration`). */
  issuer: string;
  /** Origin, e.g. `http://127.0.0.1:4567`. */
  origin: string;
  tokenEndpoint: string;
  /** Built-in clients' ids and secrets. */
  clients: {
    confidential: { clientId: string; clientSecret: string };
    public: { clientId: string };
    privateKeyJwt: { clientId: string; privateJwk: JWK };
  };
  users: EmulatorUser[];
  stats: OidcEmulatorStats;
  /** Revoke every refresh token (what "log out all sessions" does in Keycloak); returns how many. */
  revokeRefreshTokens(): number;
  /**
   * Let every pending device code expire now, as if its lifetime had run out: the next poll gets
   * `expired_token`. Returns how many.
   */
  expireDeviceCodes(): number;
  /**
   * Play the person for a device or browser login: open `startUrl` (the device `verification_uri_complete`
   * or the authorization URL), sign in as `login` (default: the first user) and approve, or refuse with
   * `{ deny: true }`.
   */
  completeLogin(startUrl: string, login?: RobotLogin, options?: RobotOptions): Promise<RobotResult>;
  /** Reset counters. */
  resetStats(): void;
  close(): Promise<void>;
}

const DEFAULT_USERS: EmulatorUser[] = [
  { username: 'alice', password: 'alice-Pa55word!', email: 'alice@example.test', name: 'Alice Liddell' },
  { username: 'bob', password: 'bob-Pa55word!', email: 'bob@example.test', name: 'Bob Builder' },
];

const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'api:read', 'api:write'];

/**
 * Start an OpenID provider (oidc-provider) on 127.0.0.1 with the grants tokensmith supports:
 * password (registered here), client credentials, refresh with rotation, device flow,
 * authorization code + PKCE for native clients on any loopback port, and token exchange.
 */
export async function startOidcEmulator(options: OidcEmulatorOptions = {}): Promise<OidcEmulator> {
  const users = new Map((options.users ?? DEFAULT_USERS).map((u) => [u.username, u]));
  const store = new EmulatorStore();
  const stats: OidcEmulatorStats = { tokenRequests: 0, byGrant: {}, slowDowns: 0, revocations: 0 };
  const interval = options.deviceInterval ?? 1;
  const prefix = options.realm ? `${options.legacyAuthPrefix ? '/auth' : ''}/realms/${options.realm}` : '';

  const { privateKey: signing } = await generateKeyPair('RS256', { extractable: true });
  const signingJwk = { ...(await exportJWK(signing)), kid: 'emulator-rs256', alg: 'RS256', use: 'sig' };
  const clientKeys = await generateKeyPair('ES256', { extractable: true });
  const clientPrivateJwk = { ...(await exportJWK(clientKeys.privateKey)), kid: 'client-es256', alg: 'ES256' };
  const clientPublicJwk = { ...(await exportJWK(clientKeys.publicKey)), kid: 'client-es256', alg: 'ES256' };

  const confidential = { clientId: 'tokensmith-cli', clientSecret: randomBytes(18).toString('base64url') };
  const clients: ClientMetadata[] = [
    {
      client_id: confidential.clientId,
      client_secret: confidential.clientSecret,
      grant_types: [
        'client_credentials',
        'password',
        'refresh_token',
        'urn:ietf:params:oauth:grant-type:token-exchange',
      ],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: SCOPES.join(' '),
    },
    {
      client_id: `${confidential.clientId}-post`,
      client_secret: confidential.clientSecret,
      grant_types: ['client_credentials', 'password', 'refresh_token'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
      scope: SCOPES.join(' '),
    },
    {
      client_id: 'tokensmith-native',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: [
        'authorization_code',
        'refresh_token',
        'urn:ietf:params:oauth:grant-type:device_code',
        'password',
      ],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback', 'http://localhost/callback'],
      scope: SCOPES.join(' '),
    },
    {
      client_id: 'tokensmith-jwt',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: { keys: [clientPublicJwk] },
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: SCOPES.join(' '),
    },
    ...(options.clients ?? []),
  ];

  const { mtls } = options;
  const server = mtls
    ? createHttpsServer({ ...mtls, requestCert: true, rejectUnauthorized: false })
    : createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const origin = `${mtls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = `${origin}${prefix}`;

  const { default: ProviderClass, errors } = await loadOidcProvider();
  const provider = new ProviderClass(issuer, {
    adapter: store.adapterClass(),
    clients,
    ...(mtls ? { clientAuthMethods: MTLS_CLIENT_AUTH_METHODS } : {}),
    jwks: { keys: [signingJwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: SCOPES,
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email'],
    },
    findAccount: async (_ctx, id) => {
      const user = users.get(id);
      return user ? accountOf(user) : undefined;
    },
    features: {
      ...(mtls ? { mTLS: mtlsFeature() } : {}),
      ...(options.dpop?.requireNonce
        ? { dPoP: { enabled: true, nonceSecret: randomBytes(32), requireNonce: () => true } }
        : {}),
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: {
        enabled: true,
        // A client may revoke only its own tokens (oidc-provider's default rule, stated here so it
        // stops printing its "you SHOULD change it" notice).
        allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
      },
      introspection: {
        enabled: true,
        // oidc-provider's default rule, stated here so it stops printing its notice: a public client
        // may introspect only its own tokens, a confidential one (an API) any token.
        allowedPolicy: async (_ctx, client, token) =>
          client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
      },
      rpInitiatedLogout: { enabled: false },
      deviceFlow: {
        enabled: true,
        userCodeInputSource: async (ctx, form, _out, err) => {
          // After "Deny" oidc-provider shows this page again with an AbortedError.
          const denied = err?.name === 'AbortedError';
          ctx.body = denied
            ? deviceDeniedPage()
            : userCodeInputPage(form, err ? 'That code is not valid.' : undefined);
        },
        userCodeConfirmSource: async (ctx, form, _client, _info, userCode) => {
          ctx.body = userCodeConfirmPage(form, userCode);
        },
        successSource: async (ctx) => {
          ctx.body = deviceSuccessPage();
        },
      },
    },
    pkce: { required: () => true },
    rotateRefreshToken: options.rotateRefreshTokens ?? true,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    // First-party emulator: skip the consent screen by granting what the client asks for.
    loadExistingGrant: async (ctx) => {
      const existing =
        ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId);
      if (existing) {
        const found = await ctx.oidc.provider.Grant.find(existing);
        if (found) return found;
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client!.clientId,
        accountId: ctx.oidc.session!.accountId!,
      });
      grant.addOIDCScope(SCOPES.join(' '));
      await grant.save();
      return grant;
    },
    interactions: { url: (_ctx, interaction) => `${prefix}/interaction/${interaction.uid}` },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(
        String(out.error),
        out.error_description ? String(out.error_description) : undefined,
      );
    },
    ttl: {
      AccessToken: options.accessTokenTtl ?? 300,
      ClientCredentials: options.accessTokenTtl ?? 300,
      RefreshToken: options.refreshTokenTtl ?? 1800,
      IdToken: options.accessTokenTtl ?? 300,
      DeviceCode: options.deviceCodeTtl ?? 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
      AuthorizationCode: 60,
    },
  });
  registerPasswordGrant(provider, errors, users);
  registerTokenExchangeGrant(provider, errors);

  // RFC 8628 §3.5: polling faster than the announced interval gets slow_down.
  const lastPoll = new Map<string, number>();
  // Only polls at the token endpoint count; the browser side of the flow reads device codes too.
  const inTokenRequest = new AsyncLocalStorage<boolean>();
  store.onDeviceCodePoll = (id, payload) => {
    if (!inTokenRequest.getStore() || payload.accountId || payload.error) return;
    const now = Date.now();
    const previous = lastPoll.get(id);
    lastPoll.set(id, now);
    if (previous !== undefined && now - previous < interval * 1000 - 50) {
      stats.slowDowns++;
      throw new errors.SlowDown();
    }
  };

  const tokenDelayMs = options.tokenDelayMs ?? 0;
  provider.use(async (ctx: KoaContextWithOIDC, next) => {
    if (ctx.path === '/token' && tokenDelayMs > 0) await new Promise((r) => setTimeout(r, tokenDelayMs));
    await (ctx.path === '/token' ? inTokenRequest.run(true, next) : next());
    const body = ctx.body as Record<string, unknown> | undefined;
    if (ctx.path === '/device/auth' && body && typeof body === 'object' && 'device_code' in body) {
      body.interval = options.announcedDeviceInterval ?? interval;
    }
    // Keycloak reports the refresh token's own lifetime; clients use it to know when to re-login.
    if (ctx.path === '/token' && body && typeof body === 'object' && typeof body.refresh_token === 'string') {
      body.refresh_expires_in = options.refreshTokenTtl ?? 1800;
    }
  });
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const grant = String(ctx.oidc.params?.grant_type ?? 'unknown');
    stats.byGrant[grant] = (stats.byGrant[grant] ?? 0) + 1;
  });
  provider.on('grant.error', (ctx: KoaContextWithOIDC) => {
    const grant = `${String(ctx.oidc.params?.grant_type ?? 'unknown')}:error`;
    stats.byGrant[grant] = (stats.byGrant[grant] ?? 0) + 1;
  });

  const callback = provider.callback();
  const interaction = interactionHandler(provider, users, prefix);

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (prefix && !url.startsWith(prefix)) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    const path = url.slice(prefix.length) || '/';
    const pathname = path.split('?')[0];
    if (req.method === 'POST' && pathname === '/token') stats.tokenRequests++;
    if (req.method === 'POST' && pathname === '/token/revocation') stats.revocations++;
    if (path.startsWith('/interaction/')) {
      interaction(req, res, path).catch((err) => {
        res
          .writeHead(500, { 'content-type': 'text/html' })
          .end(errorPage('server_error', String(err?.message)));
      });
      return;
    }
    // Mount like Express does: the provider sees the path below the prefix.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = path;
    (callback as (req: IncomingMessage, res: ServerResponse) => void)(req, res);
  });

  const firstUser = [...users.values()][0] as EmulatorUser;
  return {
    issuer,
    origin,
    tokenEndpoint: `${issuer}/token`,
    clients: {
      confidential,
      public: { clientId: 'tokensmith-native' },
      privateKeyJwt: { clientId: 'tokensmith-jwt', privateJwk: clientPrivateJwk },
    },
    users: [...users.values()],
    stats,
    revokeRefreshTokens: () => store.revokeRefreshTokens(),
    expireDeviceCodes: () => store.expireDeviceCodes(),
    completeLogin: (startUrl, login = firstUser, options) => completeLogin(startUrl, login, options),
    resetStats() {
      stats.tokenRequests = 0;
      stats.byGrant = {};
      stats.slowDowns = 0;
      stats.revocations = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves `/interaction/{uid}`: a login form whose submission finishes the interaction. */
function interactionHandler(provider: Provider, users: Map<string, EmulatorUser>, prefix: string) {
  return async (req: IncomingMessage, res: ServerResponse, path: string) => {
    const details = await provider.interactionDetails(req, res);
    const action = `${prefix}/interaction/${details.uid}`;
    const clientId = String(details.params.client_id ?? '');
    if (details.prompt.name === 'consent') {
      // First-party emulator: consent is given for whatever is missing, without a page.
      await provider.interactionFinished(req, res, {
        consent: { grantId: await consentGrant(provider, details) },
      });
      return;
    }
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginPage(action, clientId));
      return;
    }
    if (req.method !== 'POST' || path.split('?')[0] !== `/interaction/${details.uid}`) {
      res.writeHead(405).end();
      return;
    }
    const form = new URLSearchParams(await readText(req));
    const user = users.get(form.get('username') ?? '');
    if (!user || user.password !== form.get('password')) {
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(loginPage(action, clientId, 'Unknown user or wrong password.'));
      return;
    }
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: user.username } },
      { mergeWithLastSubmission: false },
    );
  };
}

type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

async function consentGrant(provider: Provider, details: InteractionDetails): Promise<string> {
  const { prompt, params, session, grantId } = details;
  const grant =
    (grantId ? await provider.Grant.find(grantId) : undefined) ??
    new provider.Grant({ accountId: session!.accountId, clientId: String(params.client_id) });
  const missing = prompt.details as {
    missingOIDCScope?: string[];
    missingOIDCClaims?: string[];
    missingResourceScopes?: Record<string, string[]>;
  };
  if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new Error('form too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
