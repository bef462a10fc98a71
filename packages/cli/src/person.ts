/**
 * Never wait for a person who is not there: a command run by a script, by CI or by kubectl without a
 * terminal fails at once with `ERR_LOGIN_REQUIRED` (exit 3) when the credential needs a device or
 * browser login, instead of polling until the device code expires. `tokensmith login` may wait.
 */
import { TokensmithError } from 'tokensmith/internal/core/errors.js';
import type { Provider } from 'tokensmith/internal/core/provider.js';
import { type GrantName, grantTakes } from 'tokensmith/internal/oauth2/grant-registry.js';

/** What tells whether a person can answer a login prompt now. */
export interface PersonContext {
  env?: NodeJS.ProcessEnv;
  /** Standard input and error are terminals (default: this process's). */
  terminal?: boolean;
  /** kubectl's `spec.interactive` from `KUBERNETES_EXEC_INFO`, when it said. */
  interactive?: boolean;
}

/** True for a `CI` variable as CI services set it (`true`, `1`, a name); `''`, `0` and `false` are not. */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const ci = env.CI?.trim().toLowerCase();
  return ci !== undefined && ci !== '' && ci !== '0' && ci !== 'false';
}

/** Why no person can answer a login prompt now, or undefined when one can. */
export function noPersonReason(context: PersonContext = {}): string | undefined {
  if (context.interactive === false) return 'kubectl runs this plugin non-interactively';
  if (isCi(context.env ?? process.env)) return 'CI is set';
  const terminal = context.terminal ?? (!!process.stdin.isTTY && !!process.stderr.isTTY);
  if (!terminal) return 'there is no terminal';
  return undefined;
}

/** True for grants whose `acquire` waits for a person: a device approval or a browser login. */
export function grantNeedsPerson(grant: GrantName): boolean {
  return grantTakes(grant, 'onPrompt') || grantTakes(grant, 'openBrowser');
}

/**
 * `provider`, unless it is a grant that needs a person and `noPerson` says why none is there: then a
 * provider whose `acquire` throws `ERR_LOGIN_REQUIRED` before contacting the server. A cached
 * credential is still used and refreshed (no person needed for that).
 */
export function personGate(provider: Provider, grant: GrantName, noPerson: string | undefined): Provider {
  if (noPerson === undefined || !grantNeedsPerson(grant)) return provider;
  return {
    kind: provider.kind,
    cacheKey: provider.cacheKey,
    clientId: provider.clientId,
    interactive: provider.interactive,
    acquire: async () => {
      throw new TokensmithError(
        'ERR_LOGIN_REQUIRED',
        `this profile logs in with a person (${grant.replace('_', ' ')}) and ${noPerson}: run \`tokensmith login\` in a terminal first`,
      );
    },
    ...(provider.refresh ? { refresh: provider.refresh.bind(provider) } : {}),
    ...(provider.revoke ? { revoke: provider.revoke.bind(provider) } : {}),
  };
}
