/**
 * The emulated actions: session.*, appToken.*, userRole.add/list, user.add, category.add,
 * categoryUser.add, with the server's rules from the protocol notes.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { errors } from './api-error.js';
import { type Params, pInt, pObj, pStr } from './params.js';
import { privilegeMap, type SessionContext, type Sessions, sessionIdKey } from './sessions.js';
import type { AppTokenRecord, EmulatorState, RoleRecord, UserRecord } from './state.js';

/** Who may call an action: anyone, any valid session (widget included), or ADMIN sessions only. */
export type Access = 'none' | 'session' | 'admin';

/** What a handler gets besides its parameters. */
export interface CallContext {
  state: EmulatorState;
  sessions: Sessions;
  /** Epoch ms. */
  now: number;
  /** The checked session, for `session`/`admin` actions. */
  session?: SessionContext;
  /** Mark the state as changed (it is then saved). */
  changed(): void;
}

/** One action. */
export interface ActionDef {
  access: Access;
  run(p: Params, ctx: CallContext): unknown;
}

const HASH_TYPES = ['MD5', 'SHA1', 'SHA256', 'SHA512'];
const TEN_YEARS = 315_360_000;
// Reserved privilege names (kSessionBase::getServerPrivileges), kept apart from the library's copy on purpose.
const RESERVED = new Set(
  'edit,sview,list,download,downloadasset,editplaylist,sviewplaylist,actionslimit,setrole,restrictingrole,limitentry,iprestrict,urirestrict,enableentitlement,disableentitlement,disableentitlementforentry,disableentitlementforplaylist,privacycontext,enablecategorymoderation,reftime,sessionkey,preview,sessionid,jobtype,apptoken,enablechangeaccount,edituser,enablecaptionmoderation,editadmintags,restrictexplicitliveview,virtualeventid,searchcontext,disablesessiontypecheck'.split(
    ',',
  ),
);

const seconds = (ms: number) => Math.floor(ms / 1000);

function sessionInfo(
  ks: string,
  partnerId: number,
  userId: string,
  expiry: number,
  type: number,
  privileges: string,
) {
  return { objectType: 'KalturaSessionInfo', ks, partnerId, userId, expiry, sessionType: type, privileges };
}

function appTokenOut(t: AppTokenRecord): Record<string, unknown> {
  return { objectType: 'KalturaAppToken', ...t };
}

function roleOut(r: RoleRecord): Record<string, unknown> {
  return { objectType: 'KalturaUserRole', ...r };
}

function userOut(u: UserRecord): Record<string, unknown> {
  return { objectType: 'KalturaUser', ...u };
}

function findToken(state: EmulatorState, id: string | undefined): AppTokenRecord {
  const token = state.appTokens.find((t) => t.id === id && t.partnerId === state.partner.id);
  // Deleted tokens are hidden by the partner/status criteria, as for a missing id.
  if (!token || token.status === 3) throw errors.tokenNotFound(id ?? '');
  return token;
}

function ensureUser(ctx: CallContext, id: string): void {
  if (ctx.state.users.some((u) => u.id === id)) return;
  ctx.state.users.push({
    id,
    partnerId: ctx.state.partner.id,
    email: null,
    firstName: null,
    lastName: null,
    screenName: id,
    isAdmin: false,
    roleIds: null,
    status: 1,
    createdAt: seconds(ctx.now),
  });
}

/** `kTime::getRelativeTime`: values within ±10 years count from now. */
function relativeTime(value: number, now: number): number {
  return Math.abs(value) <= TEN_YEARS ? seconds(now) + value : value;
}

function applyAppTokenFields(t: AppTokenRecord, src: Params, ctx: CallContext, insert: boolean): void {
  const hashType = pStr(src, 'hashType');
  if (hashType !== undefined) {
    if (!HASH_TYPES.includes(hashType))
      throw errors.invalidEnum(hashType, 'hashType', 'KalturaAppTokenHashType');
    t.hashType = hashType;
  }
  const type = pInt(src, 'sessionType');
  if (src.sessionType !== undefined && src.sessionType !== null) {
    if (type !== 0 && type !== 2)
      throw errors.invalidEnum(String(src.sessionType), 'sessionType', 'KalturaSessionType');
    t.sessionType = type;
  }
  const expiry = pInt(src, 'expiry');
  if (expiry !== undefined) t.expiry = expiry === 0 ? null : relativeTime(expiry, ctx.now);
  const duration = pInt(src, 'sessionDuration');
  if (duration !== undefined) {
    if (duration <= 0) throw errors.invalidField('sessionDuration');
    t.sessionDuration = duration;
  }
  const user = pStr(src, 'sessionUserId');
  if (user !== undefined) {
    // The server creates a missing session user.
    ensureUser(ctx, user);
    t.sessionUserId = user;
  }
  const privileges = pStr(src, 'sessionPrivileges');
  if (privileges !== undefined) t.sessionPrivileges = privileges;
  const description = pStr(src, 'description');
  if (description !== undefined) t.description = description;
  if (!insert) t.updatedAt = seconds(ctx.now);
}

/**
 * startSession's privilege merge: `sessionid`, `apptoken`, the token's privileges (repeated names
 * joined with `/`), then requested ones that are neither reserved nor on the token, except that a
 * token value of `*` is replaced by the requested value.
 */
function mergeStartSessionPrivileges(
  id: string,
  tokenPrivileges: string | null,
  requested: string | undefined,
): string {
  const merged = new Map<string, string[]>([
    ['sessionid', [id]],
    ['apptoken', [id]],
  ]);
  const wildcards = new Set<string>();
  for (const raw of (tokenPrivileges ?? '').split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const i = part.indexOf(':');
    const name = i === -1 ? part : part.slice(0, i);
    const value = i === -1 ? '' : part.slice(i + 1);
    if (value === '*') wildcards.add(name);
    const values = merged.get(name) ?? [];
    if (value !== '') values.push(...value.split('/'));
    merged.set(name, values);
  }
  for (const [name, value] of privilegeMap(requested ?? '')) {
    if (wildcards.has(name)) merged.set(name, value === '' ? [] : value.split('/'));
    else if (!RESERVED.has(name) && !merged.has(name)) merged.set(name, value === '' ? [] : value.split('/'));
  }
  return [...merged]
    .map(([name, values]) => (values.length ? `${name}:${values.join('/')}` : name))
    .join(',');
}

function hashMatches(hashType: string, ks: string, token: string, given: string): boolean {
  const expected = Buffer.from(
    createHash(hashType.toLowerCase())
      .update(ks + token)
      .digest('hex'),
  );
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function listResponse(objectType: string, items: unknown[], p: Params) {
  const pager = pObj(p, 'pager');
  const pageSize = Math.min(Math.max(pInt(pager, 'pageSize') ?? 30, 1), 500);
  const pageIndex = Math.max(pInt(pager, 'pageIndex') ?? 1, 1);
  return {
    objectType,
    objects: items.slice((pageIndex - 1) * pageSize, pageIndex * pageSize),
    totalCount: items.length,
  };
}

function inList(value: unknown): string[] | undefined {
  return typeof value === 'string' && value !== '' ? value.split(',').map((s) => s.trim()) : undefined;
}

/** The action table, keyed `service.action` in lower case (the server lowercases both). */
export const actions: Record<string, ActionDef> = {
  'session.start': {
    access: 'none',
    run(p, ctx) {
      const { partner } = ctx.state;
      const partnerId = pInt(p, 'partnerId');
      const secret = pStr(p, 'secret') ?? '';
      const type = pInt(p, 'type') ?? 0;
      const ok =
        partnerId === partner.id &&
        (secret === partner.adminSecret || (secret === partner.secret && type !== 2)) &&
        (type === 0 || type === 2);
      if (!ok) throw errors.startSession(String(partnerId ?? ''));
      const requested = pInt(p, 'expiry') ?? 86400;
      const expiry = Math.min(requested > 0 ? requested : 86400, partner.ksMaxExpiryInSeconds);
      return ctx.sessions.issue(pStr(p, 'userId') ?? '', type, expiry, pStr(p, 'privileges') ?? '').ks;
    },
  },
  'session.startwidgetsession': {
    access: 'none',
    run(p, ctx) {
      const { partner } = ctx.state;
      const widgetId = pStr(p, 'widgetId') ?? '';
      if (widgetId !== `_${partner.id}`) throw errors.invalidWidget(widgetId);
      const expiry = Math.min(pInt(p, 'expiry') ?? 86400, partner.ksMaxExpiryInSeconds);
      const { ks } = ctx.sessions.issue('0', 0, expiry > 0 ? expiry : 86400, 'view:*,widget:1');
      return { objectType: 'KalturaStartWidgetSessionResponse', partnerId: partner.id, ks, userId: 0 };
    },
  },
  'session.get': {
    access: 'session',
    run(p, ctx) {
      const other = pStr(p, 'session');
      const s = other ? ctx.sessions.read(other) : ctx.session!;
      if (s.decoded.partnerId !== ctx.state.partner.id)
        throw errors.partnerForbidden(String(s.decoded.partnerId));
      const d = s.decoded;
      return sessionInfo(s.ks, d.partnerId, d.userId, d.validUntil, d.type, d.privileges);
    },
  },
  'session.end': {
    access: 'session',
    run(_p, ctx) {
      ctx.sessions.end(ctx.session!.ks);
      ctx.changed();
      return null;
    },
  },
  'apptoken.add': {
    access: 'admin',
    run(p, ctx) {
      const now = seconds(ctx.now);
      const token: AppTokenRecord = {
        id: `0_${randomBytes(6).toString('hex').slice(0, 8)}`,
        token: randomBytes(16).toString('hex'),
        partnerId: ctx.state.partner.id,
        createdAt: now,
        updatedAt: now,
        status: 2,
        expiry: null,
        sessionType: null,
        sessionUserId: null,
        sessionDuration: ctx.state.partner.ksMaxExpiryInSeconds,
        sessionPrivileges: null,
        hashType: 'SHA1',
        description: null,
      };
      applyAppTokenFields(token, pObj(p, 'appToken'), ctx, true);
      ctx.state.appTokens.push(token);
      ctx.changed();
      return appTokenOut(token);
    },
  },
  'apptoken.get': {
    access: 'admin',
    run: (p, ctx) => appTokenOut(findToken(ctx.state, pStr(p, 'id'))),
  },
  'apptoken.update': {
    access: 'admin',
    run(p, ctx) {
      const token = findToken(ctx.state, pStr(p, 'id'));
      applyAppTokenFields(token, pObj(p, 'appToken'), ctx, false);
      ctx.changed();
      return appTokenOut(token);
    },
  },
  'apptoken.delete': {
    access: 'admin',
    run(p, ctx) {
      const token = findToken(ctx.state, pStr(p, 'id'));
      ctx.state.invalidSessionKeys.push(sessionIdKey(ctx.state.partner.id, token.id));
      token.status = 3;
      token.updatedAt = seconds(ctx.now);
      ctx.changed();
      return null;
    },
  },
  'apptoken.list': {
    access: 'admin',
    run(p, ctx) {
      const f = pObj(p, 'filter');
      const statusIn =
        inList(f.statusIn)?.map(Number) ??
        (pInt(f, 'statusEqual') !== undefined ? [pInt(f, 'statusEqual')!] : undefined);
      const idIn = inList(f.idIn) ?? (pStr(f, 'idEqual') ? [pStr(f, 'idEqual')!] : undefined);
      const user = pStr(f, 'sessionUserIdEqual');
      const range = (field: 'createdAt' | 'updatedAt', t: AppTokenRecord) => {
        const ge = pInt(f, `${field}GreaterThanOrEqual`);
        const le = pInt(f, `${field}LessThanOrEqual`);
        return (ge === undefined || t[field] >= ge) && (le === undefined || t[field] <= le);
      };
      const items = ctx.state.appTokens
        .filter((t) => t.partnerId === ctx.state.partner.id)
        .filter((t) => (statusIn ? statusIn.includes(t.status) : t.status !== 3))
        .filter((t) => !idIn || idIn.includes(t.id))
        .filter((t) => user === undefined || t.sessionUserId === user)
        .filter((t) => range('createdAt', t) && range('updatedAt', t))
        .map(appTokenOut);
      return listResponse('KalturaAppTokenListResponse', items, p);
    },
  },
  'apptoken.startsession': {
    access: 'session',
    run(p, ctx) {
      const id = pStr(p, 'id') ?? '';
      const token = findToken(ctx.state, id);
      if (token.status !== 2) throw errors.tokenNotActive(id);
      // The hash covers exactly the KS this request was sent with.
      if (!hashMatches(token.hashType, ctx.session!.ks, token.token, pStr(p, 'tokenHash') ?? '')) {
        throw errors.invalidHash();
      }
      let tokenExpiry = token.sessionDuration;
      if (token.expiry !== null) {
        tokenExpiry = Math.min(tokenExpiry, token.expiry - seconds(ctx.now));
        if (tokenExpiry < 0) throw errors.tokenExpired(id);
      }
      const requested = pInt(p, 'expiry');
      const expiry = Math.min(requested ? requested : tokenExpiry, tokenExpiry);
      const type = token.sessionType ?? pInt(p, 'type') ?? 0;
      const userId = token.sessionUserId ?? pStr(p, 'userId') ?? '';
      const privileges = mergeStartSessionPrivileges(
        id,
        token.sessionPrivileges,
        pStr(p, 'sessionPrivileges'),
      );
      const role = privilegeMap(privileges).get('setrole');
      if (
        role !== undefined &&
        !ctx.state.roles.some((r) => String(r.id) === role || r.systemName === role)
      ) {
        throw errors.unknownRole(role);
      }
      const { ks, validUntil } = ctx.sessions.issue(userId, type, expiry, privileges);
      return sessionInfo(ks, ctx.state.partner.id, userId, validUntil, type, privileges);
    },
  },
  'userrole.add': {
    access: 'admin',
    run(p, ctx) {
      const r = pObj(p, 'userRole');
      const name = pStr(r, 'name');
      if (!name) throw errors.cannotBeNull('name');
      const now = seconds(ctx.now);
      const role: RoleRecord = {
        id: ctx.state.nextRoleId++,
        name,
        systemName: pStr(r, 'systemName') ?? name,
        description: pStr(r, 'description') ?? null,
        status: pInt(r, 'status') ?? 1,
        partnerId: ctx.state.partner.id,
        permissionNames: pStr(r, 'permissionNames') ?? null,
        tags: pStr(r, 'tags') ?? null,
        createdAt: now,
        updatedAt: now,
      };
      ctx.state.roles.push(role);
      ctx.changed();
      return roleOut(role);
    },
  },
  'userrole.list': {
    access: 'admin',
    run(p, ctx) {
      const f = pObj(p, 'filter');
      const eq = (field: keyof RoleRecord, key: string) => {
        const want = pStr(f, key);
        return (r: RoleRecord) => want === undefined || String(r[field]) === want;
      };
      const among = (field: keyof RoleRecord, key: string) => {
        const want = inList(f[key]);
        return (r: RoleRecord) => !want || want.includes(String(r[field]));
      };
      const like = pStr(f, 'descriptionLike')?.toLowerCase();
      const items = ctx.state.roles
        .filter((r) => r.status !== 3)
        .filter(eq('name', 'nameEqual'))
        .filter(among('name', 'nameIn'))
        .filter(eq('systemName', 'systemNameEqual'))
        .filter(among('systemName', 'systemNameIn'))
        .filter(eq('id', 'idEqual'))
        .filter(among('id', 'idIn'))
        .filter(eq('status', 'statusEqual'))
        .filter(eq('partnerId', 'partnerIdEqual'))
        .filter((r) => like === undefined || (r.description ?? '').toLowerCase().includes(like))
        .map(roleOut);
      return listResponse('KalturaUserRoleListResponse', items, p);
    },
  },
  'user.add': {
    access: 'admin',
    run(p, ctx) {
      const u = pObj(p, 'user');
      const id = pStr(u, 'id');
      if (!id) throw errors.cannotBeNull('id');
      if (id.length > 320 || /[\s,;]/.test(id)) throw errors.invalidField('id');
      if (ctx.state.users.some((x) => x.id === id)) throw errors.duplicateUser(id);
      const roleIds = pStr(u, 'roleIds');
      if (
        roleIds &&
        !roleIds.split(',').every((rid) => ctx.state.roles.some((r) => String(r.id) === rid.trim()))
      ) {
        throw errors.userRoleNotFound();
      }
      const user: UserRecord = {
        id,
        partnerId: ctx.state.partner.id,
        email: pStr(u, 'email') ?? null,
        firstName: pStr(u, 'firstName') ?? null,
        lastName: pStr(u, 'lastName') ?? null,
        screenName: pStr(u, 'screenName') ?? id,
        isAdmin: u.isAdmin === true || u.isAdmin === 'true' || u.isAdmin === '1',
        roleIds: roleIds ?? null,
        status: 1,
        createdAt: seconds(ctx.now),
      };
      ctx.state.users.push(user);
      ctx.changed();
      return userOut(user);
    },
  },
  'category.add': {
    access: 'admin',
    run(p, ctx) {
      const c = pObj(p, 'category');
      const name = pStr(c, 'name');
      if (!name) throw errors.cannotBeNull('name');
      const category = { id: ctx.state.nextCategoryId++, name, partnerId: ctx.state.partner.id };
      ctx.state.categories.push(category);
      ctx.changed();
      return { objectType: 'KalturaCategory', ...category };
    },
  },
  'categoryuser.add': {
    access: 'admin',
    run(p, ctx) {
      const cu = pObj(p, 'categoryUser');
      const categoryId = pInt(cu, 'categoryId');
      if (categoryId === undefined) throw errors.cannotBeNull('categoryId');
      const userId = pStr(cu, 'userId');
      if (!userId) throw errors.cannotBeNull('userId');
      if (!ctx.state.categories.some((c) => c.id === categoryId))
        throw errors.categoryNotFound(String(categoryId));
      if (ctx.state.categoryUsers.some((x) => x.categoryId === categoryId && x.userId === userId)) {
        throw errors.categoryUserExists();
      }
      const level = pInt(cu, 'permissionLevel') ?? 3;
      if (level < 0 || level > 4)
        throw errors.invalidEnum(String(level), 'permissionLevel', 'KalturaCategoryUserPermissionLevel');
      ensureUser(ctx, userId);
      const record = {
        categoryId,
        userId,
        partnerId: ctx.state.partner.id,
        permissionLevel: level,
        status: 1,
        createdAt: seconds(ctx.now),
      };
      ctx.state.categoryUsers.push(record);
      ctx.changed();
      return { objectType: 'KalturaCategoryUser', ...record };
    },
  },
};
