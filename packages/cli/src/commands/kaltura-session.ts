/** `tokensmith kaltura session`: print a KS from an app token, or an admin session. */
import type { Credential } from 'tokensmith/internal/core/credential.js';
import { adminSession } from 'tokensmith/internal/kaltura/admin-session.js';
import { type AppTokenHashType, appTokenSession } from 'tokensmith/internal/kaltura/app-token-session.js';
import { parseSessionType, sessionTypeName } from 'tokensmith/internal/kaltura/session-type.js';
import { info, out, UsageError } from '../io.js';
import {
  type ConnectionOpts,
  connection,
  parseDuration,
  requireSecret,
  secretFromEnv,
} from './kaltura-common.js';

/** Options of `kaltura session`. */
export interface SessionOpts extends ConnectionOpts {
  appTokenId?: string;
  appTokenEnv?: string;
  hashType?: string;
  userId?: string;
  type?: string;
  expiry?: string;
  privileges?: string;
  admin?: boolean;
  local?: boolean;
  ksVersion?: string;
}

/** Run `kaltura session`. */
export async function sessionCommand(opts: SessionOpts): Promise<void> {
  const type = opts.type === undefined ? undefined : parseSessionType(opts.type);
  if (opts.type !== undefined && type === undefined) throw new UsageError('--type must be USER or ADMIN');
  const expiry = opts.expiry === undefined ? undefined : parseDuration(opts.expiry);
  const ks = secretFromEnv(opts.ksEnv);
  let credential: Credential;
  let report: string[] = [];
  if (opts.admin) {
    const conn = connection(opts);
    const version =
      opts.ksVersion === '1' ? 1 : opts.ksVersion === '2' || opts.ksVersion === undefined ? 2 : undefined;
    if (!version) throw new UsageError('--ks-version must be 1 or 2');
    const provider = adminSession({
      ...conn,
      adminSecret: ks
        ? ''
        : requireSecret(
            opts.adminSecretEnv ?? 'KALTURA_ADMIN_SECRET',
            'an admin session needs the admin secret',
          ),
      ks,
      userId: opts.userId,
      type,
      expiry,
      privileges: opts.privileges,
      local: !!opts.local,
      ksVersion: version,
    });
    credential = await provider.acquire({});
  } else {
    if (opts.local) throw new UsageError('--local needs --admin');
    const conn = connection(opts);
    const appTokenId = opts.appTokenId ?? process.env.KALTURA_APP_TOKEN_ID;
    if (!ks && !appTokenId) throw new UsageError('give --app-token-id (or set KALTURA_APP_TOKEN_ID)');
    const hashType = (opts.hashType ?? 'SHA1').toUpperCase() as AppTokenHashType;
    const provider = appTokenSession({
      ...conn,
      appTokenId: appTokenId ?? '',
      appToken: ks
        ? ''
        : requireSecret(opts.appTokenEnv ?? 'KALTURA_APP_TOKEN', 'an app-token session needs the token'),
      hashType,
      ks,
      userId: opts.userId,
      type,
      expiry,
      sessionPrivileges: opts.privileges,
    });
    credential = await provider.acquire({});
    report = provider.lastReport;
  }
  for (const line of report) info(`note: ${line}`);
  if (opts.json) {
    const meta = credential.meta;
    out(
      JSON.stringify(
        {
          ks: credential.token,
          partnerId: meta.partnerId,
          userId: credential.subject ?? '',
          sessionType: meta.sessionType,
          sessionTypeName: sessionTypeName(Number(meta.sessionType)),
          privileges: meta.privileges,
          expiresAt:
            credential.expiresAt === undefined ? undefined : new Date(credential.expiresAt).toISOString(),
          notes: report,
        },
        null,
        2,
      ),
    );
    return;
  }
  out(credential.token);
}
