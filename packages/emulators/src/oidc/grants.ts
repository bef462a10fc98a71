import type Provider from 'oidc-provider';
import type { KoaContextWithOIDC, errors as OidcErrors } from 'oidc-provider';

type Errors = typeof OidcErrors;

/** A user the emulator knows. */
export interface EmulatorUser {
  username: string;
  password: string;
  email?: string;
  name?: string;
}

/** The oidc-provider account object of an emulator user. */
export function accountOf(user: EmulatorUser) {
  return {
    accountId: user.username,
    claims: async () => ({
      sub: user.username,
      preferred_username: user.username,
      email: user.email,
      name: user.name,
    }),
  };
}

/** The first-party scopes a grant made by the emulator carries. */
function grantedScopes(ctx: KoaContextWithOIDC): string {
  const requested = String(ctx.oidc.params?.scope ?? '')
    .split(' ')
    .filter(Boolean);
  const allowed = new Set(String(ctx.oidc.client?.scope ?? 'openid offline_access profile email').split(' '));
  return requested.filter((s) => allowed.has(s)).join(' ');
}

/**
 * Resource owner password grant (RFC 6749 §4.3). oidc-provider has none built in because OAuth 2.1
 * drops it, but Keycloak and the seeds use it, so the emulator registers one.
 */
export function registerPasswordGrant(
  provider: Provider,
  errors: Errors,
  users: Map<string, EmulatorUser>,
): void {
  provider.registerGrantType(
    'password',
    async (ctx: KoaContextWithOIDC) => {
      const params = ctx.oidc.params as Record<string, string | undefined>;
      const client = ctx.oidc.client!;
      const user = params.username ? users.get(params.username) : undefined;
      if (!user || user.password !== params.password) {
        throw new errors.InvalidGrant('invalid user credentials');
      }
      const scope = grantedScopes(ctx);
      const grant = new provider.Grant({ accountId: user.username, clientId: client.clientId });
      grant.addOIDCScope(scope || 'openid');
      const grantId = await grant.save();
      const account = accountOf(user);
      ctx.oidc.entity('Account', account);
      ctx.oidc.entity('Grant', grant);
      const at = new provider.AccessToken({
        accountId: user.username,
        client,
        grantId,
        scope,
        gty: 'password',
      });
      const accessToken = await at.save();
      let refreshToken: string | undefined;
      if (client.grantTypeAllowed('refresh_token')) {
        const rt = new provider.RefreshToken({
          accountId: user.username,
          client,
          grantId,
          scope,
          gty: 'password',
          rotations: 0,
          authTime: Math.floor(Date.now() / 1000),
        });
        refreshToken = await rt.save();
      }
      let idToken: string | undefined;
      if (scope.split(' ').includes('openid')) {
        const claims = await account.claims();
        const token = new provider.IdToken({ ...claims }, { ctx });
        (token as unknown as { scope: string }).scope = scope;
        idToken = await token.issue({ use: 'idtoken' });
      }
      ctx.body = {
        access_token: accessToken,
        expires_in: at.expiration,
        token_type: 'Bearer',
        scope: scope || undefined,
        refresh_token: refreshToken,
        id_token: idToken,
      };
    },
    new Set(['username', 'password', 'scope']),
  );
}

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * Token exchange (RFC 8693): trades a valid access token of this emulator for a new one, for the
 * requested `audience` (kept in the response so clients can check it).
 */
export function registerTokenExchangeGrant(provider: Provider, errors: Errors): void {
  provider.registerGrantType(
    TOKEN_EXCHANGE,
    async (ctx: KoaContextWithOIDC) => {
      const params = ctx.oidc.params as Record<string, string | undefined>;
      if (params.subject_token_type !== ACCESS_TOKEN_TYPE) {
        throw new errors.InvalidRequest('subject_token_type must be an access token');
      }
      const token = params.subject_token ?? '';
      const user = await provider.AccessToken.find(token);
      const service = user ? undefined : await provider.ClientCredentials.find(token);
      const subject = user ?? service;
      if (!subject || subject.isExpired) throw new errors.InvalidGrant('subject_token is invalid or expired');
      const client = ctx.oidc.client!;
      const scope = params.scope ?? subject.scope;
      const extra = params.audience ? { aud: params.audience } : undefined;
      const at = user
        ? new provider.AccessToken({
            accountId: user.accountId,
            client,
            grantId: user.grantId,
            scope,
            gty: 'token-exchange',
            extra,
          })
        : new provider.ClientCredentials({ client, scope, extra });
      const accessToken = await at.save();
      ctx.body = {
        access_token: accessToken,
        issued_token_type: ACCESS_TOKEN_TYPE,
        token_type: 'Bearer',
        expires_in: at.expiration,
        scope: at.scope || undefined,
      };
    },
    new Set(['subject_token', 'subject_token_type', 'audience', 'resource', 'scope', 'requested_token_type']),
  );
}
