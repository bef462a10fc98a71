/** `tokensmith kaltura app-token create|list|get|update|delete`. */
import { open } from 'node:fs/promises';
import type { AppTokenChanges, CreateAppTokenOptions } from 'tokensmith/internal/kaltura/admin.js';
import {
  type AppToken,
  parseAppTokenStatus,
  withoutToken,
  withToken,
} from 'tokensmith/internal/kaltura/app-token.js';
import {
  APP_TOKEN_HASH_TYPES,
  type AppTokenHashType,
} from 'tokensmith/internal/kaltura/app-token-session.js';
import { parseSessionType, sessionTypeName } from 'tokensmith/internal/kaltura/session-type.js';
import { info, out, UsageError } from '../io.js';
import { table } from '../text-table.js';
import { adminFor, type ConnectionOpts, isoDate, parseDuration, parseWhen } from './kaltura-common.js';

/** Token settings shared by create and update. */
export interface TokenSettingOpts extends ConnectionOpts {
  expiry?: string;
  sessionUserId?: string;
  sessionType?: string;
  sessionDuration?: string;
  hashType?: string;
  description?: string;
  privileges?: string;
}

/** Options of `app-token create`. */
export interface CreateOpts extends TokenSettingOpts {
  roleId?: string;
  roleName?: string;
  widgetSession?: boolean;
  enableEntitlement?: boolean;
  uriRestrict?: string;
  privacyContext?: string;
  tokenFile?: string;
}

function settings(opts: TokenSettingOpts): AppTokenChanges {
  const out: AppTokenChanges = {};
  if (opts.expiry !== undefined) out.expiry = parseWhen(opts.expiry);
  if (opts.sessionUserId !== undefined) out.sessionUserId = opts.sessionUserId;
  if (opts.sessionType !== undefined) {
    const t = parseSessionType(opts.sessionType);
    if (t === undefined) throw new UsageError('--session-type must be USER or ADMIN');
    out.sessionType = t;
  }
  if (opts.sessionDuration !== undefined) out.sessionDuration = parseDuration(opts.sessionDuration);
  if (opts.hashType !== undefined) {
    const h = opts.hashType.toUpperCase() as AppTokenHashType;
    if (!APP_TOKEN_HASH_TYPES.includes(h))
      throw new UsageError(`--hash-type must be one of ${APP_TOKEN_HASH_TYPES.join(', ')}`);
    out.hashType = h;
  }
  if (opts.description !== undefined) out.description = opts.description;
  return out;
}

/** Human form of one token (no secret). */
function describe(t: AppToken): string {
  const rows: Array<[string, string]> = [
    ['id', t.id],
    ['status', t.statusName],
    ['description', t.description ?? '-'],
    ['hash type', t.hashType],
    ['session type', sessionTypeName(t.sessionType)],
    ['session user', t.sessionUserId ?? '-'],
    ['session duration', t.sessionDuration === undefined ? '-' : `${t.sessionDuration}s`],
    ['privileges', t.sessionPrivileges ?? '-'],
    ['expiry', t.expiry === undefined ? 'never' : isoDate(t.expiry)],
    ['created', isoDate(t.createdAt)],
  ];
  return rows.map(([k, v]) => `${`${k}:`.padEnd(18)}${v}`).join('\n');
}

/** Run `app-token create`. The token is printed once (or written to --token-file). */
export async function createCommand(opts: CreateOpts): Promise<void> {
  if (opts.roleId !== undefined && opts.roleName !== undefined)
    throw new UsageError('give --role-id or --role-name, not both');
  const admin = adminFor(opts);
  const s = settings(opts);
  const create: CreateAppTokenOptions = {
    ...s,
    roleId: opts.roleId,
    roleName: opts.roleName,
    widgetSession: !!opts.widgetSession,
    enableEntitlement: !!opts.enableEntitlement,
    uriRestrict: opts.uriRestrict,
    privacyContext: opts.privacyContext,
    sessionPrivileges: opts.privileges,
  };
  const token = await admin.createAppToken(create);
  if (opts.tokenFile) {
    const handle = await open(opts.tokenFile, 'wx', 0o600);
    try {
      await handle.writeFile(`${token.token ?? ''}\n`);
    } finally {
      await handle.close();
    }
    info(`the app token's secret is in ${opts.tokenFile}`);
  }
  const shown = opts.tokenFile ? withoutToken(token) : withToken(token);
  if (opts.json) {
    out(JSON.stringify(shown, null, 2));
    return;
  }
  out(describe(token));
  if (!opts.tokenFile) out(`${'token:'.padEnd(18)}${token.token ?? '-'}`);
  if (!opts.tokenFile)
    info('store the token now: it is the secret that starts sessions, and list/get never show it');
}

/** Run `app-token list`. */
export async function listCommand(opts: ConnectionOpts & { status?: string; user?: string }): Promise<void> {
  const status = opts.status === undefined ? undefined : parseAppTokenStatus(opts.status);
  if (opts.status !== undefined && status === undefined)
    throw new UsageError('--status must be ACTIVE, DISABLED or DELETED');
  const tokens = (await adminFor(opts).listAppTokens({ status, sessionUserId: opts.user })).map(withoutToken);
  if (opts.json) {
    out(JSON.stringify(tokens, null, 2));
    return;
  }
  out(
    table(
      ['ID', 'STATUS', 'TYPE', 'USER', 'HASH', 'EXPIRY', 'PRIVILEGES', 'DESCRIPTION'],
      tokens.map((t) => [
        t.id,
        t.statusName,
        sessionTypeName(t.sessionType),
        t.sessionUserId ?? '-',
        t.hashType,
        t.expiry === undefined ? 'never' : isoDate(t.expiry),
        t.sessionPrivileges ?? '-',
        t.description ?? '',
      ]),
    ),
  );
}

/** Run `app-token get`. */
export async function getCommand(id: string, opts: ConnectionOpts): Promise<void> {
  const token = await adminFor(opts).getAppToken(id);
  out(opts.json ? JSON.stringify(withoutToken(token), null, 2) : describe(token));
}

/** Run `app-token update`. */
export async function updateCommand(id: string, opts: TokenSettingOpts): Promise<void> {
  const changes = settings(opts);
  if (opts.privileges !== undefined) changes.sessionPrivileges = opts.privileges;
  if (Object.keys(changes).length === 0) throw new UsageError('nothing to update: give at least one setting');
  const token = await adminFor(opts).updateAppToken(id, changes);
  out(opts.json ? JSON.stringify(withoutToken(token), null, 2) : describe(token));
}

/** Run `app-token delete`. */
export async function deleteCommand(id: string, opts: ConnectionOpts): Promise<void> {
  await adminFor(opts).deleteAppToken(id);
  info(`deleted app token ${id}`);
}
