import type { OidcEmulator } from '@tokensmith/emulators/internal/oidc/server.js';

/** The parts of an RFC 7662 introspection answer the tests read. */
export interface Introspection {
  active: boolean;
  sub?: string;
  client_id?: string;
  scope?: string;
}

/**
 * Ask the emulator, as an API would (RFC 7662, over HTTP, with the confidential client's
 * credentials), whether `token` is an active access token: a token from a session that a reused
 * refresh token ended is not.
 */
export async function introspect(emu: OidcEmulator, token: string): Promise<Introspection> {
  const { clientId, clientSecret } = emu.clients.confidential;
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString(
    'base64',
  );
  const response = await fetch(`${emu.issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}` },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
  });
  if (!response.ok) throw new Error(`introspection answered ${response.status}`);
  return (await response.json()) as Introspection;
}
