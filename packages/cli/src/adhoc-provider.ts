import type { Provider } from 'tokensmith/internal/core/provider.js';
import { registerSecret } from 'tokensmith/internal/core/redact.js';
import type { TlsOptions } from 'tokensmith/internal/core/tls.js';
import {
  defaultGrant,
  type GrantExtras,
  type GrantName,
  grantName,
  grantNeeds,
  grantTakes,
} from 'tokensmith/internal/oauth2/grant-registry.js';
import { lazyGrantProvider } from 'tokensmith/internal/oauth2/load-grant.js';
import {
  CLIENT_AUTH_METHODS,
  checkAuthorizationParams,
  type OAuth2CommonOptions,
} from 'tokensmith/internal/oauth2/options.js';
import type { InteractiveHooks } from './config/build-source.js';
import { readPemFile } from './config/tls-files.js';
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
  /** `--subject-token-file PATH`: the token is the file's first line. */
  subjectTokenFile?: string;
  /** `--subject-token-profile NAME`: the token of that profile (of `--config`). */
  subjectTokenProfile?: string;
  /** `--config`, where `--subject-token-profile` finds its profile. */
  config?: string;
  scope?: string;
  audience?: string;
  caFile?: string;
  clientCert?: string;
  clientKey?: string;
  privateKeyFile?: string;
  /** `--resource`, repeatable. */
  resource?: string[];
  /** `--auth-param name=value`, repeatable. */
  authParam?: string[];
  allowInsecureHttp?: boolean;
  /** `--dpop`: DPoP-bound tokens (RFC 9449). */
  dpop?: boolean;
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
    flags: '--subject-token-env, --subject-token-stdin, --subject-token-file or --subject-token-profile',
    given: (f) => !!(f.subjectTokenEnv || f.subjectTokenStdin || f.subjectTokenFile || f.subjectTokenProfile),
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
  const clientAuth = CLIENT_AUTH_METHODS.find((method) => method === f.clientAuth);
  if (clientAuth === 'private_key_jwt' && !f.privateKeyFile) {
    throw new UsageError('--client-auth private_key_jwt needs --private-key-file');
  }
  if (clientAuth?.endsWith('tls_client_auth') && !f.clientCert) {
    throw new UsageError(`--client-auth ${clientAuth} needs --client-cert and --client-key`);
  }
  const common: OAuth2CommonOptions = {
    tls: await tlsFromFlags(f),
    issuer: f.issuer,
    tokenEndpoint: f.tokenEndpoint,
    clientId: f.clientId,
    clientSecret: await readSecret('client secret', f.clientSecretEnv, f.clientSecretStdin),
    clientAuth,
    privateKey: f.privateKeyFile ? await privateKeyFromFile(f.privateKeyFile) : undefined,
    scope: f.scope,
    audience: f.audience,
    resource: f.resource?.length ? f.resource : undefined,
    allowInsecureHttp: f.allowInsecureHttp,
    dpop: f.dpop,
  };
  const extras: GrantExtras = {
    username: f.username,
    authorizationParams: authParams(grant, f.authParam),
    onPrompt: hooks.onDevicePrompt,
    onPending: hooks.onDevicePending,
    onEnd: hooks.onDeviceEnd,
    openBrowser: hooks.openBrowser,
  };
  for (const o of secrets) {
    // GrantExtras merges every grant's options; token_exchange's own type takes a function too.
    extras[o.option] = (
      o.option === 'subjectToken' ? await subjectToken(f) : await readSecret(o.what, o.env(f), o.stdin(f))
    ) as string | undefined;
  }
  return personGate(lazyGrantProvider(grant, common, extras), grant, hooks.noPerson);
}

/**
 * The TLS settings of `--ca-file`, `--client-cert` and `--client-key` (PEM files, read now), or
 * undefined without them.
 */
export async function tlsFromFlags(f: AdhocOAuthFlags): Promise<TlsOptions | undefined> {
  if (!f.caFile && !f.clientCert && !f.clientKey) return undefined;
  if (!f.clientCert !== !f.clientKey) throw new UsageError('--client-cert and --client-key go together');
  const [ca, cert, key] = await Promise.all([
    f.caFile ? readPemFile(f.caFile, 'CA bundle') : undefined,
    f.clientCert ? readPemFile(f.clientCert, 'client certificate') : undefined,
    f.clientKey ? readPemFile(f.clientKey, 'client key') : undefined,
  ]);
  return { ca, cert, key };
}

/**
 * The token to exchange, from the one place the flags name: a variable, stdin, a file (its first
 * line) or another profile (obtained when the exchange runs).
 */
async function subjectToken(f: AdhocOAuthFlags): Promise<string | (() => Promise<string>) | undefined> {
  const given = [f.subjectTokenEnv, f.subjectTokenStdin, f.subjectTokenFile, f.subjectTokenProfile];
  if (given.filter(Boolean).length > 1) {
    throw new UsageError(
      'give one of --subject-token-env, --subject-token-stdin, --subject-token-file and --subject-token-profile',
    );
  }
  if (f.subjectTokenProfile) {
    const name = f.subjectTokenProfile;
    const { profileToken } = await import('./config/profile-token.js');
    return () => profileToken(name, { config: f.config, via: [] });
  }
  if (f.subjectTokenFile) {
    const token = (await readPemFile(f.subjectTokenFile, 'subject token file')).split(/\r?\n/)[0]!.trim();
    if (!token) throw new UsageError(`--subject-token-file ${f.subjectTokenFile} is empty`);
    registerSecret(token);
    return token;
  }
  return readSecret('subject token', f.subjectTokenEnv, f.subjectTokenStdin);
}

/** `--auth-param name=value` flags as parameters, for a grant that takes them (a browser login). */
function authParams(grant: GrantName, flags: string[] | undefined): Record<string, string> | undefined {
  if (!flags?.length) return undefined;
  if (!grantTakes(grant, 'authorizationParams'))
    throw new UsageError(`--grant ${grant} takes no --auth-param`);
  const params: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new UsageError(`--auth-param must look like name=value (got "${flag.slice(0, 40)}")`);
    params[flag.slice(0, eq)] = flag.slice(eq + 1);
  }
  checkAuthorizationParams(params);
  return params;
}

/** The `--private-key-file` key (PEM or JWK), parsed. */
async function privateKeyFromFile(path: string) {
  const { parsePrivateKey } = await import('tokensmith/internal/oauth2/private-key.js');
  return parsePrivateKey(await readPemFile(path, 'private key'));
}

/** A secret from standard input or from the named variable, or undefined when neither is asked for. */
async function readSecret(what: string, env: string | undefined, stdin = false): Promise<string | undefined> {
  if (stdin) return secretFromStdin(what);
  return env ? secretFromEnv(env, what) : undefined;
}
