import type { InteractiveHooks } from '../config/build-source.js';
import type { Provider } from '../core/provider.js';
import { loadGrant } from '../oauth2/load-grant.js';
import type { ClientAuthMethod } from '../oauth2/options.js';
import { UsageError } from './io.js';
import { secretFromEnv, secretFromStdin } from './secrets.js';

/** The OAuth 2 flags `token`, `login` and `request` accept without a profile. */
export interface AdhocOAuthFlags {
  issuer?: string;
  tokenEndpoint?: string;
  grant?: string;
  clientId?: string;
  clientSecretEnv?: string;
  clientSecretStdin?: boolean;
  clientAuth?: string;
  username?: string;
  passwordEnv?: string;
  passwordStdin?: boolean;
  scope?: string;
  audience?: string;
  allowInsecureHttp?: boolean;
}

const GRANTS = ['client_credentials', 'password', 'device_code', 'authorization_code'] as const;

/** Build a provider from ad-hoc flags; secrets come from the environment or stdin only. */
export async function providerFromFlags(f: AdhocOAuthFlags, hooks: InteractiveHooks = {}): Promise<Provider> {
  if (!f.issuer && !f.tokenEndpoint) throw new UsageError('give --issuer or --token-endpoint (or --profile)');
  if (!f.clientId) throw new UsageError('--client-id is required');
  const grant = f.grant ?? (f.username ? 'password' : 'client_credentials');
  if (!(GRANTS as readonly string[]).includes(grant)) {
    throw new UsageError(`--grant must be one of ${GRANTS.join(', ')} (got "${grant}")`);
  }
  if (f.clientSecretStdin && f.passwordStdin) throw new UsageError('only one secret can come from stdin');
  const clientSecret = f.clientSecretStdin
    ? await secretFromStdin('client secret')
    : f.clientSecretEnv
      ? secretFromEnv(f.clientSecretEnv, 'client secret')
      : undefined;
  const common = {
    issuer: f.issuer,
    tokenEndpoint: f.tokenEndpoint,
    clientId: f.clientId,
    clientSecret,
    clientAuth: f.clientAuth as ClientAuthMethod | undefined,
    scope: f.scope,
    audience: f.audience,
    allowInsecureHttp: f.allowInsecureHttp,
  };
  switch (grant) {
    case 'password': {
      if (!f.username) throw new UsageError('--grant password needs --username');
      const password = f.passwordStdin
        ? await secretFromStdin('password')
        : secretFromEnv(f.passwordEnv ?? 'TOKENSMITH_PASSWORD', 'password');
      return (await loadGrant('password'))({ ...common, username: f.username, password } as never);
    }
    case 'device_code':
      return (await loadGrant('device_code'))({
        ...common,
        onPrompt: hooks.onDevicePrompt,
        onPending: hooks.onDevicePending,
      } as never);
    case 'authorization_code':
      return (await loadGrant('authorization_code'))({ ...common, openBrowser: hooks.openBrowser } as never);
    default:
      return (await loadGrant('client_credentials'))(common as never);
  }
}
