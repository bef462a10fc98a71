import { startOidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';
import { info, out } from '../io.js';
import { untilSignal } from '../until-signal.js';

/** Flags of `tokensmith emulate oidc`. */
export interface EmulateOidcFlags {
  port?: string;
  realm?: string;
  accessTokenTtl?: string;
  json?: boolean;
}

/** `tokensmith emulate oidc`: run the OpenID provider emulator until interrupted. */
export async function emulateOidc(flags: EmulateOidcFlags): Promise<void> {
  const emu = await startOidcEmulator({
    port: flags.port ? Number(flags.port) : undefined,
    realm: flags.realm,
    accessTokenTtl: flags.accessTokenTtl ? Number(flags.accessTokenTtl) : undefined,
  });
  // The emulator's own throw-away test credentials: printing them is its purpose.
  if (flags.json) {
    out(
      JSON.stringify({
        issuer: emu.issuer,
        tokenEndpoint: emu.tokenEndpoint,
        clients: { confidential: emu.clients.confidential, public: emu.clients.public },
        users: emu.users.map((u) => ({ username: u.username, password: u.password })),
      }),
    );
  } else {
    out(
      [
        `TOKENSMITH_ISSUER=${emu.issuer}`,
        `TOKENSMITH_CLIENT_ID=${emu.clients.confidential.clientId}`,
        `TOKENSMITH_CLIENT_SECRET=${emu.clients.confidential.clientSecret}`,
        `TOKENSMITH_PUBLIC_CLIENT_ID=${emu.clients.public.clientId}`,
        ...emu.users.map((u) => `# user ${u.username} / ${u.password}`),
      ].join('\n'),
    );
  }
  info('OIDC emulator running; press Ctrl-C to stop.');
  await untilSignal(() => emu.close());
}
