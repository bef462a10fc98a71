import type { Provider } from 'tokensmith/internal/core/provider.js';
import {
  defaultGrant,
  type GrantExtras,
  grantName,
  grantNeeds,
  grantTakes,
} from 'tokensmith/internal/oauth2/grant-registry.js';
import { lazyGrantProvider } from 'tokensmith/internal/oauth2/load-grant.js';
import { CLIENT_AUTH_METHODS, type OAuth2CommonOptions } from 'tokensmith/internal/oauth2/options.js';
import type { InteractiveHooks } from './config/build-source.js';
import { UsageError } from './io.js';
import { personGate } from './person.js';
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
  refreshTokenEnv?: string;
  refreshTokenStdin?: boolean;
  subjectTokenEnv?: string;
  subjectTokenStdin?: boolean;
  scope?: string;
  audience?: string;
  allowInsecureHttp?: boolean;
}

/** A grant option the flags set as a plain value. */
interface PlainFlag {
  option: 'username';
  /** The flags, for messages. */
  flags: string;
  /** True when the user gave the flag. */
  given(f: AdhocOAuthFlags): boolean;
}

/** A grant option the flags set as a secret, from a variable or from stdin. */
interface SecretFlag {
  option: 'password' | 'refreshToken' | 'subjectToken';
  flags: string;
  given(f: AdhocOAuthFlags): boolean;
  /** What the secret is, for messages. */
  what: string;
  /** The variable holding it (a default variable stands in when no flag is given). */
  env(f: AdhocOAuthFlags): string | undefined;
  stdin(f: AdhocOAuthFlags): boolean;
}

/** The grant options ad hoc flags set, in the grant registry's vocabulary. */
const OPTION_FLAGS: readonly (PlainFlag | SecretFlag)[] = [
  { option: 'username', flags: '--username', given: (f) => f.username !== undefined },
  {
    option: 'password',
    flags: '--password-env or --password-stdin',
    given: (f) => !!(f.passwordEnv || f.passwordStdin),
    what: 'password',
    env: (f) => f.passwordEnv ?? 'TOKENSMITH_PASSWORD',
    stdin: (f) => !!f.passwordStdin,
  },
  {
    option: 'refreshToken',
    flags: '--refresh-token-env or --refresh-token-stdin',
    given: (f) => !!(f.refreshTokenEnv || f.refreshTokenStdin),
    what: 'refresh token',
    env: (f) => f.refreshTokenEnv,
    stdin: (f) => !!f.refreshTokenStdin,
  },
  {
    option: 'subjectToken',
    flags: '--subject-token-env or --subject-token-stdin',
    given: (f) => !!(f.subjectTokenEnv || f.subjectTokenStdin),
    what: 'subject token',
    env: (f) => f.subjectTokenEnv,
    stdin: (f) => !!f.subjectTokenStdin,
  },
];

/** True when the option will have a value: its flag was given, or it is a secret with a default variable. */
function provided(o: PlainFlag | SecretFlag, f: AdhocOAuthFlags): boolean {
  return o.given(f) || ('env' in o && o.env(f) !== undefined);
}

/**
 * Build a provider from ad-hoc flags; secrets come from the environment or stdin only. The grant
 * and what it needs come from the grant registry: an unknown grant is `ERR_CONFIG_INVALID`.
 */
export async function providerFromFlags(f: AdhocOAuthFlags, hooks: InteractiveHooks = {}): Promise<Provider> {
  if (!f.issuer && !f.tokenEndpoint) throw new UsageError('give --issuer or --token-endpoint (or --profile)');
  if (!f.clientId) throw new UsageError('--client-id is required');
  const grant = grantName(f.grant ?? defaultGrant(f.username !== undefined));
  const taken = OPTION_FLAGS.filter((o) => grantTakes(grant, o.option));
  const foreign = OPTION_FLAGS.find((o) => o.given(f) && !taken.includes(o));
  if (foreign) throw new UsageError(`--grant ${grant} takes no ${foreign.flags}`);
  // Checked before any secret is read: say which flag is missing, not which variable is unset.
  const missing = OPTION_FLAGS.filter((o) => grantNeeds(grant).includes(o.option) && !provided(o, f));
  if (missing.length > 0) {
    throw new UsageError(`--grant ${grant} needs ${missing.map((o) => o.flags).join(' and ')}`);
  }
  const secrets = taken.filter((o): o is SecretFlag => 'env' in o);
  if ([f.clientSecretStdin, ...secrets.map((o) => o.stdin(f))].filter(Boolean).length > 1) {
    throw new UsageError('only one secret can come from stdin');
  }
  const common: OAuth2CommonOptions = {
    issuer: f.issuer,
    tokenEndpoint: f.tokenEndpoint,
    clientId: f.clientId,
    clientSecret: await readSecret('client secret', f.clientSecretEnv, f.clientSecretStdin),
    clientAuth: CLIENT_AUTH_METHODS.find((method) => method === f.clientAuth),
    scope: f.scope,
    audience: f.audience,
    allowInsecureHttp: f.allowInsecureHttp,
  };
  const extras: GrantExtras = {
    username: f.username,
    onPrompt: hooks.onDevicePrompt,
    onPending: hooks.onDevicePending,
    onEnd: hooks.onDeviceEnd,
    openBrowser: hooks.openBrowser,
  };
  for (const o of secrets) extras[o.option] = await readSecret(o.what, o.env(f), o.stdin(f));
  return personGate(lazyGrantProvider(grant, common, extras), grant, hooks.noPerson);
}

/** A secret from standard input or from the named variable, or undefined when neither is asked for. */
async function readSecret(what: string, env: string | undefined, stdin = false): Promise<string | undefined> {
  if (stdin) return secretFromStdin(what);
  return env ? secretFromEnv(env, what) : undefined;
}
