import type { SourceFlags } from '../credential-source.js';
import { info, out } from '../io.js';
import { withSource } from '../with-source.js';

/** Flags of `tokensmith logout`. */
export interface LogoutFlags extends SourceFlags {
  /** Remove every cached credential of this client id instead (no revocation). */
  client?: string;
  json?: boolean;
}

/**
 * `tokensmith logout`: revoke the profile's token at the server (RFC 7009, when offered) and delete
 * it from the cache; with `--client ID`, delete every cached credential of that client.
 */
export async function logoutCommand(flags: LogoutFlags): Promise<void> {
  if (flags.client) {
    const [{ userFileCache }, { forgetClient }] = await Promise.all([
      import('../config/user-cache.js'),
      import('tokensmith/internal/cache/forget.js'),
    ]);
    const removed = await forgetClient(userFileCache(), flags.client);
    if (flags.json) out(JSON.stringify({ client: flags.client, removed }));
    else info(`Removed ${removed} cached credential${removed === 1 ? '' : 's'} of client ${flags.client}.`);
    return;
  }
  await withSource(flags, async (source) => {
    if (source.kind === 'signer') {
      if (flags.json) out(JSON.stringify({ profile: source.name, revoked: false, removed: false }));
      else info(`Profile "${source.name}" keeps no credential; nothing to log out.`);
      return;
    }
    const had = (await source.cache.get(source.manager.key)) !== undefined;
    const { revoked } = await source.manager.logout();
    if (flags.json) {
      out(JSON.stringify({ profile: source.name, revoked, removed: had }));
      return;
    }
    if (!had) info(`No cached credential for profile ${source.name}.`);
    else if (revoked) info(`Logged out of profile ${source.name}: token revoked at the server and removed.`);
    else info(`Removed the cached credential of profile ${source.name} (the server offers no revocation).`);
  });
}
