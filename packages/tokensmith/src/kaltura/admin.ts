/**
 * Admin operations with an admin session: app tokens (create, list, get, update, delete), roles,
 * users and category users, and the app-token audit.
 */
import { TokensmithError } from '../core/errors.js';
import type { FetchLike } from '../core/http.js';
import { getLogger } from '../core/log.js';
import { TokenManager } from '../core/manager.js';
import type { Provider } from '../core/provider.js';
import { registerSecret } from '../core/redact.js';
import type { TlsOptions } from '../core/tls.js';
import { lazyTlsFetch } from '../core/tls-lazy.js';
import { adminSession } from './admin-session.js';
import { KalturaApiException } from './api-exception.js';
import { type AppToken, toAppToken } from './app-token.js';
import { APP_TOKEN_HASH_TYPES, type AppTokenHashType } from './app-token-session.js';
import { type AuditEntry, type AuditOptions, auditAppTokens } from './audit.js';
import { KalturaClient } from './client.js';
import { type KalturaCall, kalturaCall, type MultiRequestResults } from './multirequest.js';
import { warnUnknown } from './privileges.js';

const log = getLogger('kaltura');

/** Options for {@link admin}. Give `adminSecret` (sessions are started as needed) or `session`. */
export interface AdminOptions {
  serviceUrl: string;
  partnerId: number;
  /** The admin secret; an admin session with `disableentitlement` is started from it. */
  adminSecret?: string;
  /** Where the admin KS comes from instead: a manager, a provider or a KS string. */
  session?: TokenManager | Provider | string;
  /** User of the admin session made from `adminSecret`. */
  userId?: string;
  fetch?: FetchLike;
  /**
   * Trusted CAs (a private CA) and a client certificate for the connections to the server, as in
   * `oauth2` providers (core/tls.ts); loaded on the first request. Ignored when `fetch` is given.
   */
  tls?: TlsOptions;
  timeoutMs?: number;
  allowInsecureHttp?: boolean;
}

/** Options for {@link KalturaAdmin.createAppToken}, one per setting of seed 000. */
export interface CreateAppTokenOptions {
  /** Role for `setrole:<id>`. */
  roleId?: number | string;
  /** Role looked up by exact name (`userRole.list` with `nameEqual`) when `roleId` is absent. */
  roleName?: string;
  /** Adds `widget:1` (player-only sessions). */
  widgetSession?: boolean;
  /** Adds `enableentitlement`. */
  enableEntitlement?: boolean;
  /** `urirestrict:<value>`, e.g. `/api_v3/service/media/*`. */
  uriRestrict?: string;
  /** `privacycontext:<value>` (comma-separated contexts are joined with `/`). */
  privacyContext?: string;
  /** Token expiry, absolute Unix seconds (the server reads values within ±10 years as relative). */
  expiry?: number;
  sessionUserId?: string;
  /** 0 USER, 2 ADMIN. */
  sessionType?: number;
  /** Seconds. */
  sessionDuration?: number;
  /** Default `SHA256`. */
  hashType?: AppTokenHashType;
  description?: string;
  /** More privileges, appended as given. */
  sessionPrivileges?: string;
}

/** Fields {@link KalturaAdmin.updateAppToken} may change. */
export type AppTokenChanges = Partial<
  Pick<
    AppToken,
    | 'expiry'
    | 'sessionType'
    | 'sessionUserId'
    | 'sessionDuration'
    | 'sessionPrivileges'
    | 'hashType'
    | 'description'
  >
>;

/** Filters for {@link KalturaAdmin.listAppTokens}. */
export interface ListAppTokensOptions {
  /** 1 DISABLED, 2 ACTIVE, 3 DELETED. */
  status?: number;
  sessionUserId?: string;
  /** Page size while paging through all results (default 500, the server's maximum). */
  pageSize?: number;
}

/** A user role. */
export interface UserRole {
  id: number;
  name: string;
  systemName?: string;
  description?: string;
  status?: number;
  partnerId?: number;
  permissionNames?: string;
}

/** Pages asked for in one multirequest when listing, and pages listed at most. */
const PAGES_PER_ROUND_TRIP = 50;
const MAX_PAGES = 10_000;

/** Build the privileges string of a new app token, in the seed's order. */
export function appTokenPrivileges(o: CreateAppTokenOptions & { roleId?: number | string }): string {
  return [
    o.roleId !== undefined && o.roleId !== '' ? `setrole:${o.roleId}` : '',
    o.privacyContext
      ? `privacycontext:${o.privacyContext
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .join('/')}`
      : '',
    o.widgetSession ? 'widget:1' : '',
    o.enableEntitlement ? 'enableentitlement' : '',
    o.uriRestrict ? `urirestrict:${o.uriRestrict}` : '',
    o.sessionPrivileges ?? '',
  ]
    .filter(Boolean)
    .join(',');
}

function toRole(v: unknown): UserRole {
  const r = (v ?? {}) as Record<string, unknown>;
  const id = Number(r.id);
  if (!Number.isInteger(id)) {
    throw new TokensmithError('ERR_RESPONSE_INVALID', 'Kaltura userRole: role has no numeric id', {
      field: 'id',
    });
  }
  const out: UserRole = { id, name: String(r.name ?? '') };
  for (const k of ['systemName', 'description', 'permissionNames'] as const)
    if (typeof r[k] === 'string') out[k] = r[k] as string;
  for (const k of ['status', 'partnerId'] as const) if (typeof r[k] === 'number') out[k] = r[k] as number;
  return out;
}

function listObjects(v: unknown, what: string): { objects: unknown[]; totalCount: number } {
  const r = v as { objects?: unknown; totalCount?: unknown } | null;
  if (!r || typeof r !== 'object')
    throw new TokensmithError('ERR_RESPONSE_INVALID', `${what}: expected a list response`);
  const objects = Array.isArray(r.objects) ? r.objects : [];
  return { objects, totalCount: typeof r.totalCount === 'number' ? r.totalCount : objects.length };
}

/** Admin operations against one partner. */
export class KalturaAdmin {
  readonly client: KalturaClient;
  readonly partnerId: number;
  readonly #ks: (force: boolean) => Promise<string>;
  readonly #renewable: boolean;

  constructor(given: AdminOptions) {
    // One connection pool with the TLS settings for the admin calls and the session they use.
    const fetch = given.fetch ?? (given.tls ? lazyTlsFetch(given.tls) : undefined);
    const options = { ...given, fetch };
    this.client = new KalturaClient(options);
    this.partnerId = options.partnerId;
    const source =
      options.session ??
      (options.adminSecret
        ? adminSession({ ...options, adminSecret: options.adminSecret, privileges: 'disableentitlement' })
        : undefined);
    if (source === undefined) {
      throw new TokensmithError('ERR_CONFIG_INVALID', 'admin operations need adminSecret or a session');
    }
    if (typeof source === 'string') {
      registerSecret(source);
      this.#ks = async () => source;
      this.#renewable = false;
    } else {
      const manager = source instanceof TokenManager ? source : new TokenManager(source);
      this.#ks = async (force) => (await manager.getCredential({ forceRefresh: force })).token;
      this.#renewable = true;
    }
  }

  /** Call any action with the admin KS; on `INVALID_KS` a renewable session is renewed and the call repeated once. */
  async call<T = unknown>(service: string, action: string, params: Record<string, unknown> = {}): Promise<T> {
    try {
      return await this.client.call<T>(service, action, params, { ks: await this.#ks(false) });
    } catch (err) {
      if (!this.#renewable || !(err instanceof TokensmithError) || err.vendorCode !== 'INVALID_KS') throw err;
      log.info('admin KS was refused; starting a new one and retrying once', { service, action });
      return this.client.call<T>(service, action, params, { ks: await this.#ks(true) });
    }
  }

  /**
   * Several calls with the admin KS in one round trip (see `KalturaClient.multirequest`). When every
   * result is `INVALID_KS` (nothing ran) a renewable session is renewed and the calls sent once more.
   */
  async multirequest<const Cs extends readonly KalturaCall<unknown>[]>(
    calls: Cs,
  ): Promise<MultiRequestResults<Cs>> {
    const run = async (force: boolean) =>
      (await this.client.multirequest(calls, { ks: await this.#ks(force) })).result;
    const results = await run(false);
    const refused = (r: unknown) => r instanceof KalturaApiException && r.code === 'INVALID_KS';
    if (!this.#renewable || !results.every(refused)) return results;
    log.info('admin KS was refused; starting a new one and retrying the multirequest once');
    return run(true);
  }

  /** Role ids whose name is exactly `name` (`userRole.list` with `nameEqual`; there is no `nameLike`). */
  async roleIds(name: string): Promise<number[]> {
    const res = await this.call('userRole', 'list', {
      filter: { objectType: 'KalturaUserRoleFilter', nameEqual: name },
      pager: { objectType: 'KalturaFilterPager', pageSize: 500, pageIndex: 1 },
    });
    return listObjects(res, 'Kaltura userRole.list').objects.map((o) => toRole(o).id);
  }

  /** The one role id named `name`; `ERR_CONFIG_INVALID` when none or several match. */
  async roleId(name: string): Promise<number> {
    const ids = await this.roleIds(name);
    if (ids.length === 0) throw new TokensmithError('ERR_CONFIG_INVALID', `no user role is named "${name}"`);
    if (ids.length > 1) {
      throw new TokensmithError(
        'ERR_CONFIG_INVALID',
        `${ids.length} user roles are named "${name}" (${ids.join(', ')}); give the id`,
      );
    }
    return ids[0]!;
  }

  /** `userRole.add`; status defaults to ACTIVE (1). */
  async addRole(role: {
    name: string;
    systemName?: string;
    description?: string;
    permissionNames?: string;
    status?: number;
    tags?: string;
  }): Promise<UserRole> {
    return toRole(
      await this.call('userRole', 'add', { userRole: { objectType: 'KalturaUserRole', status: 1, ...role } }),
    );
  }

  /** `user.add`. */
  async addUser(user: {
    id: string;
    email?: string;
    firstName?: string;
    lastName?: string;
    screenName?: string;
    roleIds?: string;
    isAdmin?: boolean;
  }): Promise<Record<string, unknown>> {
    return (await this.call('user', 'add', { user: { objectType: 'KalturaUser', ...user } })) as Record<
      string,
      unknown
    >;
  }

  /** `categoryUser.add`; permissionLevel 0 MANAGER … 3 MEMBER (default) … 4 NONE. */
  async addCategoryUser(cu: {
    categoryId: number;
    userId: string;
    permissionLevel?: number;
  }): Promise<Record<string, unknown>> {
    return (await this.call('categoryUser', 'add', {
      categoryUser: { objectType: 'KalturaCategoryUser', permissionLevel: 3, ...cu },
    })) as Record<string, unknown>;
  }

  /** `appToken.add` with the seed's options. The returned `token` is a secret; show it once. */
  async createAppToken(options: CreateAppTokenOptions = {}): Promise<AppToken> {
    const hashType = options.hashType ?? 'SHA256';
    if (!APP_TOKEN_HASH_TYPES.includes(hashType)) {
      throw new TokensmithError(
        'ERR_CONFIG_INVALID',
        `hashType must be one of ${APP_TOKEN_HASH_TYPES.join(', ')}`,
      );
    }
    const roleId = options.roleId ?? (options.roleName ? await this.roleId(options.roleName) : undefined);
    const sessionPrivileges = appTokenPrivileges({ ...options, roleId });
    if (sessionPrivileges) warnUnknown(sessionPrivileges, 'app token sessionPrivileges');
    const res = await this.call('appToken', 'add', {
      appToken: {
        objectType: 'KalturaAppToken',
        hashType,
        expiry: options.expiry,
        sessionUserId: options.sessionUserId,
        sessionType: options.sessionType,
        sessionDuration: options.sessionDuration,
        sessionPrivileges: sessionPrivileges || undefined,
        description: options.description,
      },
    });
    return toAppToken(res, 'Kaltura appToken.add');
  }

  /** `appToken.get`. */
  async getAppToken(id: string): Promise<AppToken> {
    return toAppToken(await this.call('appToken', 'get', { id }), 'Kaltura appToken.get');
  }

  /** `appToken.update` with only the given fields. */
  async updateAppToken(id: string, changes: AppTokenChanges): Promise<AppToken> {
    if (changes.sessionPrivileges) warnUnknown(changes.sessionPrivileges, 'app token sessionPrivileges');
    return toAppToken(
      await this.call('appToken', 'update', { id, appToken: { objectType: 'KalturaAppToken', ...changes } }),
      'Kaltura appToken.update',
    );
  }

  /** `appToken.delete`: the token becomes DELETED and sessions started from it stop working. */
  async deleteAppToken(id: string): Promise<void> {
    await this.call('appToken', 'delete', { id });
  }

  /**
   * Every app token matching the filters, paging through all of them: the first page tells the total,
   * then the other pages come in one multirequest (up to 50 pages per round trip).
   */
  async listAppTokens(options: ListAppTokensOptions = {}): Promise<AppToken[]> {
    const what = 'Kaltura appToken.list';
    const pageSize = Math.min(Math.max(options.pageSize ?? 500, 1), 500);
    const page = (pageIndex: number) => ({
      filter: {
        objectType: 'KalturaAppTokenFilter',
        statusEqual: options.status,
        sessionUserIdEqual: options.sessionUserId,
      },
      pager: { objectType: 'KalturaFilterPager', pageSize, pageIndex },
    });
    const first = listObjects(await this.call('appToken', 'list', page(1)), what);
    const out = first.objects.map((o) => toAppToken(o, what));
    // Stop on a short page, or when the total is reached (guards against a server ignoring the pager).
    if (first.objects.length < pageSize || out.length >= first.totalCount) return out;
    const pages = Math.min(Math.ceil(first.totalCount / pageSize), MAX_PAGES);
    for (let start = 2; start <= pages; start += PAGES_PER_ROUND_TRIP) {
      const count = Math.min(PAGES_PER_ROUND_TRIP, pages - start + 1);
      const calls = Array.from({ length: count }, (_, i) => kalturaCall('appToken', 'list', page(start + i)));
      let short = false;
      for (const result of await this.multirequest(calls)) {
        if (result instanceof KalturaApiException) throw result.toError();
        const { objects } = listObjects(result, what);
        for (const o of objects) out.push(toAppToken(o, what));
        if (objects.length < pageSize) short = true;
      }
      if (short) break;
    }
    return out;
  }

  /** List the tokens and audit them (see {@link auditAppTokens}). */
  async audit(options: AuditOptions = {}): Promise<AuditEntry[]> {
    return auditAppTokens(await this.listAppTokens(), options);
  }
}

/** Admin operations for one partner. */
export function admin(options: AdminOptions): KalturaAdmin {
  return new KalturaAdmin(options);
}
