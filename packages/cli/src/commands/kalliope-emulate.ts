/** `tokensmith emulate kalliope`: run the Kalliope PBX emulator until interrupted. */
import { randomBytes } from 'node:crypto';
import { startKalliopeEmulator } from '@tokensmith/emulators/internal/kalliope/server.js';
import { registerSecret } from 'tokensmith/internal/core/redact.js';
import { info, out, UsageError } from '../io.js';
import { untilSignal } from '../until-signal.js';

/** Parsed options of `emulate kalliope`. */
export interface EmulateKalliopeOptions {
  port?: string;
  host?: string;
  domain?: string;
  username?: string;
  /** Take the user's password from this variable; otherwise one is generated and printed. */
  passwordEnv?: string;
  json?: boolean;
}

/** Run `emulate kalliope`. Prints connection details; the password goes to stdout only when generated. */
export async function emulateKalliope(opts: EmulateKalliopeOptions): Promise<void> {
  const port = Number(opts.port ?? 0);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
  const domain = opts.domain ?? 'default';
  const username = opts.username ?? 'admin';
  let given: string | undefined;
  if (opts.passwordEnv) {
    given = process.env[opts.passwordEnv];
    if (!given) throw new UsageError(`the environment variable ${opts.passwordEnv} is empty`);
    registerSecret(given);
  }
  const password = given ?? randomBytes(12).toString('base64url');
  const emulator = await startKalliopeEmulator({
    port,
    host: opts.host ?? '127.0.0.1',
    users: [{ domain, username, password }],
  });
  const url = `${emulator.url}/${domain}`;
  // A generated password is the emulator's own throw-away credential: printing it is the point.
  const shown = given ? undefined : password;
  if (opts.json) {
    out(JSON.stringify({ url, username, domain, ...(shown ? { password: shown } : {}) }));
  } else {
    out(`KALLIOPE_URL=${url}`);
    out(`KALLIOPE_USERNAME=${username}`);
    if (shown) out(`KALLIOPE_PASSWORD=${shown}`);
  }
  info('Kalliope emulator running; press Ctrl-C to stop');
  await untilSignal(() => emulator.close());
}
