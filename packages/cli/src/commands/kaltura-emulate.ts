/** `tokensmith emulate kaltura`: run the emulator until interrupted. */
import { startKalturaEmulator } from '@tokensmith/emulators/internal/kaltura/server.js';
import { info, out, UsageError } from '../io.js';
import { untilSignal } from '../until-signal.js';
import { secretFromEnv } from './kaltura-common.js';

/** Run `emulate kaltura`. Prints the connection details; the admin secret goes to stdout only when generated. */
export async function emulateCommand(opts: {
  port?: string;
  host?: string;
  partnerId?: string;
  adminSecretEnv?: string;
  stateFile?: string;
  json?: boolean;
}): Promise<void> {
  const port = Number(opts.port ?? 0);
  const partnerId = Number(opts.partnerId ?? 100);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0..65535');
  if (!Number.isInteger(partnerId)) throw new UsageError('--partner-id must be an integer');
  const given = secretFromEnv(opts.adminSecretEnv);
  if (opts.adminSecretEnv && !given)
    throw new UsageError(`the environment variable ${opts.adminSecretEnv} is empty`);
  const emulator = await startKalturaEmulator({
    port,
    host: opts.host ?? '127.0.0.1',
    partnerId,
    adminSecret: given,
    stateFile: opts.stateFile,
  });
  // A generated secret is the emulator's own, and the user needs it to connect; a given one stays unprinted.
  const secret = given ? undefined : emulator.adminSecret;
  if (opts.json) {
    out(
      JSON.stringify({
        url: emulator.url,
        partnerId: emulator.partnerId,
        ...(secret ? { adminSecret: secret } : {}),
      }),
    );
  } else {
    out(`KALTURA_SERVICE_URL=${emulator.url}`);
    out(`KALTURA_PARTNER_ID=${emulator.partnerId}`);
    if (secret) out(`KALTURA_ADMIN_SECRET=${secret}`);
  }
  info('Kaltura emulator running; press Ctrl-C to stop');
  await untilSignal(() => emulator.close());
}
