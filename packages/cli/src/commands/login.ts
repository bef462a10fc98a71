import type { SourceFlags } from '../credential-source.js';
import { describeExpiry } from '../human-time.js';
import { info, out } from '../io.js';
import { signOnce, withLoginSource } from '../with-source.js';

/** Flags of `tokensmith login`. */
export interface LoginFlags extends SourceFlags {
  /** Log in again even when a valid credential is cached. */
  force?: boolean;
  json?: boolean;
}

/**
 * `tokensmith login`: obtain a credential (running the device or browser flow when the profile
 * needs one) and store it in the cache, so later `token` and `request` calls need no person.
 */
export async function loginCommand(flags: LoginFlags): Promise<void> {
  await withLoginSource(flags, async (source) => {
    if (source.kind === 'signer') {
      // Nothing to store: fetching a header proves the salt endpoint and credentials are usable.
      await signOnce(source.signer);
      if (flags.json) out(JSON.stringify({ profile: source.name, kind: source.signer.kind, stored: false }));
      else info(`Profile "${source.name}" signs each request (${source.signer.kind}); nothing to store.`);
      return;
    }
    const credential = await source.manager.getCredential({ forceRefresh: flags.force });
    const how = source.manager.lastSource;
    const summary = {
      profile: source.name,
      kind: credential.kind,
      user: credential.subject,
      expiresAt:
        credential.expiresAt === undefined ? undefined : new Date(credential.expiresAt).toISOString(),
      scope: credential.scope,
      obtained: how,
      stored: source.cache.kind,
    };
    if (flags.json) {
      out(JSON.stringify(summary));
      return;
    }
    const who = credential.subject ? ` as ${credential.subject}` : '';
    const verb = how === 'memory' || how === 'cache' ? 'Already logged in' : 'Logged in';
    info(
      `${verb}${who} (profile ${source.name}); token expires ${describeExpiry(credential.expiresAt)}, kept in the ${source.cache.kind} cache.`,
    );
  });
}
