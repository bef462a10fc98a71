/**
 * The appToken service (api_v3/services/AppTokenService.php, alpha/lib/model/AppToken.php,
 * api_v3/lib/types/KalturaAppToken.php): add, get, update, delete, list, startSession.
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { errors } from './api-error.js';
import {
  type EnumType,
  isNull,
  NULL_FIELD,
  type ObjectArgument,
  type ObjectType,
  validateForInsert,
  validateForUpdate,
} from './arguments.js';
import {
  type ActionTable,
  type CallContext,
  inList,
  listResponse,
  PAGER,
  SESSION_TYPE,
  seconds,
} from './call.js';
import { kalturaObject } from './objects.js';
import { privilegeMap, sessionIdKey } from './sessions.js';
import type { AppTokenRecord, EmulatorState } from './state.js';
import { ensureUser } from './user.js';

const HASH_TYPE: EnumType = {
  enum: 'KalturaAppTokenHashType',
  values: ['SHA1', 'MD5', 'SHA256', 'SHA512'],
  strings: true,
};
const STATUS: EnumType = { enum: 'KalturaAppTokenStatus', values: [1, 2, 3] };

const APP_TOKEN: ObjectType = {
  object: 'KalturaAppToken',
  props: {
    id: { type: 'string', readonly: true },
    token: { type: 'string', readonly: true },
    partnerId: { type: 'int', readonly: true },
    createdAt: { type: 'time', readonly: true },
    updatedAt: { type: 'time', readonly: true },
    status: { type: STATUS, readonly: true },
    expiry: { type: 'time' },
    sessionType: { type: SESSION_TYPE },
    sessionUserId: { type: 'string' },
    sessionDuration: { type: 'int' },
    sessionPrivileges: { type: 'string' },
    hashType: { type: HASH_TYPE },
    description: { type: 'string' },
  },
};

const FILTER: ObjectType = {
  object: 'KalturaAppTokenFilter',
  props: {
    idEqual: { type: 'string' },
    idIn: { type: 'string' },
    statusEqual: { type: STATUS },
    statusIn: { type: 'string' },
    sessionUserIdEqual: { type: 'string' },
    createdAtGreaterThanOrEqual: { type: 'time' },
    createdAtLessThanOrEqual: { type: 'time' },
    updatedAtGreaterThanOrEqual: { type: 'time' },
    updatedAtLessThanOrEqual: { type: 'time' },
  },
};

// Reserved privilege names (kSessionBase::getServerPrivileges), kept apart from the library's copy on purpose.
const RESERVED = new Set(
  'edit,sview,list,download,downloadasset,editplaylist,sviewplaylist,actionslimit,setrole,restrictingrole,limitentry,iprestrict,urirestrict,enableentitlement,disableentitlement,disableentitlementforentry,disableentitlementforplaylist,privacycontext,enablecategorymoderation,reftime,sessionkey,preview,sessionid,jobtype,apptoken,enablechangeaccount,edituser,enablecaptionmoderation,editadmintags,restrictexplicitliveview,virtualeventid,searchcontext,disablesessiontypecheck'.split(
    ',',
  ),
);

const appTokenOut = (t: AppTokenRecord) => kalturaObject('KalturaAppToken', t);

/** AppTokenPeer::retrieveByPK: the partner's tokens, never a deleted one (the peer's default criteria). */
function findToken(state: EmulatorState, id: string): AppTokenRecord {
  const token = state.appTokens.find((t) => t.id === id && t.partnerId === state.partner.id);
  if (!token || token.status === 3) throw errors.tokenNotFound(id);
  return token;
}

/** kString::generateStringId: 8 characters of [0-9a-z]. */
function stringId(): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  return Array.from({ length: 8 }, () => alphabet[randomInt(36)]).join('');
}

/** KalturaObject::toObject for the writable fields; `name__null` clears one. */
function applyFields(t: AppTokenRecord, src: ObjectArgument): void {
  const set = <K extends keyof AppTokenRecord>(name: K) => {
    const v = src[name];
    if (v === undefined) return;
    (t as unknown as Record<string, unknown>)[name] = v === NULL_FIELD ? null : v;
  };
  for (const name of [
    'expiry',
    'sessionType',
    'sessionUserId',
    'sessionDuration',
    'sessionPrivileges',
    'description',
  ] as const) {
    set(name);
  }
  // AppToken::getHashType reads SHA1 when none is stored.
  if (src.hashType !== undefined)
    t.hashType = src.hashType === NULL_FIELD ? 'SHA1' : (src.hashType as string);
}

/** AppToken::setKuserIdBySessionUserId (add and update): the session user must exist or be creatable. */
function checkSessionUser(ctx: CallContext, t: AppTokenRecord): void {
  // Without a session user the server looks up `puser_id IS NULL`; the emulator lets it pass (see the rules doc).
  if (t.sessionUserId === null) return;
  ensureUser(ctx, t.sessionUserId, 'sessionUserId');
}

/**
 * startSession's privileges (ks::retrieveAllowedAppSessionPrivileges): `sessionid`, `apptoken`, the
 * token's privileges (repeated names joined with `/`), then requested ones that are neither reserved
 * nor on the token, except that a token value of `*` is replaced by the requested value.
 */
function mergeStartSessionPrivileges(
  id: string,
  tokenPrivileges: string | null,
  requested: string | null,
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

/** AppToken::calcHash compared with `!==`: `hash(hashType, ks + token)` in lowercase hex, the KS being the one sent. */
function hashMatches(hashType: string, ks: string, token: string, given: string): boolean {
  const expected = Buffer.from(
    createHash(hashType.toLowerCase())
      .update(ks + token)
      .digest('hex'),
  );
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** The appToken service. */
export const appTokenActions: ActionTable = {
  'apptoken.add': {
    access: 'admin',
    params: [{ name: 'appToken', type: APP_TOKEN }],
    run(a, ctx) {
      const src = a.appToken as ObjectArgument;
      const { partner } = ctx.state;
      // KalturaAppToken::toInsertableObject: the partner's KS maximum when no duration is given, then the checks.
      if (isNull(src, 'sessionDuration')) src.sessionDuration = partner.ksMaxExpiryInSeconds;
      validateForInsert(APP_TOKEN, src);
      const now = seconds(ctx.now);
      const token: AppTokenRecord = {
        id: `0_${stringId()}`,
        token: '',
        partnerId: partner.id,
        createdAt: now,
        updatedAt: now,
        status: 2,
        expiry: null,
        sessionType: null,
        sessionUserId: null,
        sessionDuration: partner.ksMaxExpiryInSeconds,
        sessionPrivileges: null,
        hashType: 'SHA1',
        description: null,
      };
      applyFields(token, src);
      // bin2hex(openssl_random_pseudo_bytes(16))
      token.token = Buffer.from(Array.from({ length: 16 }, () => randomInt(256))).toString('hex');
      checkSessionUser(ctx, token);
      ctx.state.appTokens.push(token);
      ctx.changed();
      return appTokenOut(token);
    },
  },
  'apptoken.get': {
    access: 'admin',
    params: [{ name: 'id', type: 'string' }],
    run: (a, ctx) => appTokenOut(findToken(ctx.state, a.id as string)),
  },
  'apptoken.update': {
    access: 'admin',
    params: [
      { name: 'id', type: 'string' },
      { name: 'appToken', type: APP_TOKEN },
    ],
    run(a, ctx) {
      const token = findToken(ctx.state, a.id as string);
      const src = a.appToken as ObjectArgument;
      validateForUpdate(APP_TOKEN, src, token as unknown as Record<string, unknown>);
      const next = { ...token };
      applyFields(next, src);
      checkSessionUser(ctx, next);
      Object.assign(token, next, { updatedAt: seconds(ctx.now) });
      ctx.changed();
      return appTokenOut(token);
    },
  },
  'apptoken.delete': {
    access: 'admin',
    params: [{ name: 'id', type: 'string' }],
    run(a, ctx) {
      const token = findToken(ctx.state, a.id as string);
      // ks::buildSessionIdHash: every KS carrying sessionid:<id> is invalidated.
      ctx.state.invalidSessionKeys.push(sessionIdKey(ctx.state.partner.id, token.id));
      token.status = 3;
      token.updatedAt = seconds(ctx.now);
      ctx.changed();
      return null;
    },
  },
  'apptoken.list': {
    access: 'admin',
    params: [
      { name: 'filter', type: FILTER, default: null },
      { name: 'pager', type: PAGER, default: null },
    ],
    run(a, ctx) {
      const f = (a.filter as ObjectArgument | null) ?? {};
      const user = f.sessionUserIdEqual as string | undefined;
      // A sessionUserIdEqual naming no user answers an empty list without objects.
      if (user && !ctx.state.users.some((u) => u.id === user)) {
        return listResponse('KalturaAppTokenListResponse', null, null);
      }
      const statusIn =
        inList(f.statusIn)?.map(Number) ??
        (f.statusEqual !== undefined ? [f.statusEqual as number] : undefined);
      const idIn = inList(f.idIn) ?? (f.idEqual ? [f.idEqual as string] : undefined);
      const range = (field: 'createdAt' | 'updatedAt', t: AppTokenRecord) => {
        const ge = f[`${field}GreaterThanOrEqual`] as number | undefined;
        const le = f[`${field}LessThanOrEqual`] as number | undefined;
        return (ge === undefined || t[field] >= ge) && (le === undefined || t[field] <= le);
      };
      const items = ctx.state.appTokens
        .filter((t) => t.partnerId === ctx.state.partner.id && t.status !== 3)
        .filter((t) => !statusIn || statusIn.includes(t.status))
        .filter((t) => !idIn || idIn.includes(t.id))
        .filter((t) => !user || t.sessionUserId === user)
        .filter((t) => range('createdAt', t) && range('updatedAt', t))
        .map(appTokenOut);
      return listResponse('KalturaAppTokenListResponse', items, a.pager as ObjectArgument | null);
    },
  },
  'apptoken.startsession': {
    access: 'session',
    params: [
      { name: 'id', type: 'string' },
      { name: 'tokenHash', type: 'string' },
      { name: 'userId', type: 'string', default: null },
      { name: 'type', type: SESSION_TYPE, default: null },
      { name: 'expiry', type: 'int', default: null },
      { name: 'sessionPrivileges', type: 'string', default: null },
    ],
    run(a, ctx) {
      const id = a.id as string;
      const token = findToken(ctx.state, id);
      if (token.status !== 2) throw errors.tokenNotActive(id);
      // The hash covers exactly the KS this request was sent with.
      if (!hashMatches(token.hashType, ctx.session!.ks, token.token, a.tokenHash as string)) {
        throw errors.invalidHash();
      }
      let tokenExpiry = token.sessionDuration;
      if (token.expiry !== null) {
        tokenExpiry = Math.min(tokenExpiry, token.expiry - seconds(ctx.now));
        if (tokenExpiry < 0) throw errors.tokenExpired(id);
      }
      const requested = a.expiry as number | null;
      const expiry = Math.min(requested ? requested : tokenExpiry, tokenExpiry);
      const type = token.sessionType ?? (a.type as number | null) ?? 0;
      const userId = token.sessionUserId ?? (a.userId as string | null);
      const privileges = mergeStartSessionPrivileges(
        id,
        token.sessionPrivileges,
        a.sessionPrivileges as string | null,
      );
      // kSessionUtils::createKSession: no privilege validation and no partner cap on the lifetime.
      const { ks, validUntil } = ctx.sessions.issue(userId ?? '', type, expiry, privileges);
      return kalturaObject('KalturaSessionInfo', {
        ks,
        // kCurrentContext::getCurrentPartnerId: the partnerId parameter as sent, else the KS's (a string).
        partnerId: ctx.requestedPartnerId ?? String(ctx.session!.decoded.partnerId),
        userId,
        expiry: validUntil,
        sessionType: type,
        privileges,
      });
    },
  },
};
