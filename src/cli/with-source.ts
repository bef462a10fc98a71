import type { Credential } from '../core/credential.js';
import { type CliSource, openCliSource, type SourceFlags } from './credential-source.js';
import { deviceScreen } from './device-screen.js';

/**
 * Open the flags' credential source with the terminal's interactive hooks (device screen; the
 * browser opener prints the URL over SSH, in CI or without a display), run `body`, then close it.
 */
export async function withSource<T>(flags: SourceFlags, body: (source: CliSource) => Promise<T>): Promise<T> {
  const screen = deviceScreen();
  const source = await openCliSource(flags, screen);
  let ok = false;
  try {
    const result = await body(source);
    ok = true;
    return result;
  } finally {
    screen.stop(ok ? 'ok' : 'failed');
    await source.close();
  }
}

/** A credential from a manager source; `what` names the command for the signer case. */
export async function credentialOf(
  source: CliSource,
  options: { forceRefresh?: boolean } = {},
): Promise<Credential | undefined> {
  if (source.kind !== 'manager') return undefined;
  return source.manager.getCredential(options);
}
