/**
 * KS issuing and checking in the emulator, with the server's rules: parsing (kCurrentContext::
 * initKsPartnerUser), validity (kSessionBase::isValidBase, ks::isValid), the role a `setrole`
 * names (kPermissionManager::getRoleIds) and the privileges session.start accepts (ks::validatePrivileges).
 */
import { createHash } from 'node:crypto';
import { type DecodedKs, decode, encode } from 'tokensmith/internal/kaltura/ks/index.js';
import { errors } from './api-error.js';
import type { EmulatorState, RoleRecord } from './state.js';

/** A parsed session: the decoded KS plus its privileges as a map. */
export interface SessionContext {
  ks: string;
  decoded: DecodedKs;
  privileges: Map<string, string>;
}

/** What the check needs to know about the request. */
export interface RequestFacts {
  /** Path and query as sent (`REQUEST_URI`; for a multirequest, the multirequest's). */
  uri: string;
  remoteAddress: string;
}

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

/** PHP `is_numeric` (whitespace around allowed since PHP 8). */
const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** The invalidation key of a `sessionid` privilege: `sha1(partnerId + "_" + id)` (ks::buildSessionIdHash). */
export function sessionIdKey(partnerId: number, id: string): string {
  return sha1(`${partnerId}_${id}`);
}

/** Privileges string → map (last value wins, as in a v2 KS). */
export function privilegeMap(privileges: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const raw of privileges.split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const i = part.indexOf(':');
    map.set(i === -1 ? part : part.slice(0, i), i === -1 ? '' : part.slice(i + 1));
  }
  return map;
}

/** A numeric role value looks the role up by id, anything else by system name; partner or partner 0; not deleted. */
function findRole(roles: readonly RoleRecord[], value: string, partnerId: number): RoleRecord | undefined {
  const numeric = NUMERIC.test(value);
  return roles.find(
    (r) =>
      r.status !== 3 &&
      [0, partnerId].includes(r.partnerId) &&
      (numeric ? r.id === Number(value) : r.systemName === value),
  );
}

/**
 * ks::getRole: the value of the first `name:value` entry (up to a further `:`), undefined when none;
 * a negative number is INVALID_SET_ROLE.
 */
function getRole(privileges: string, name: string): string | undefined {
  for (const entry of privileges.split(',')) {
    const [key, value] = entry.split(':');
    if (key !== name) continue;
    if (value && NUMERIC.test(value) && Number(value) < 0) throw errors.invalidSetRole();
    return value ?? '';
  }
  return undefined;
}

/** kSessionBase::isWidgetSession: a USER KS of no user (`''` or `0`) with `widget:1`; never invalidated. */
function isWidgetSession(d: DecodedKs): boolean {
  return d.type === 0 && (d.userId === '' || d.userId === '0') && d.privileges.includes('widget:1');
}

/** Issues and checks KSs for the emulated partner. */
export class Sessions {
  readonly #state: () => EmulatorState;
  readonly #now: () => number;
  /** Actions left per KS, for `actionslimit` (invalidSessionPeer::actionsLimitKs). */
  readonly #actionsLeft = new Map<string, number>();
  issued = 0;

  constructor(state: () => EmulatorState, now: () => number) {
    this.#state = state;
    this.#now = now;
  }

  /**
   * Make a KS as kSessionUtils::createKSession + ks::toSecureString do: signed/encrypted with the
   * admin secret whatever its type, in the partner's KS version. `validUntil` is what the server
   * reports; a KS with `downloadasset` carries it rounded up to 5 minutes (kSessionBase::generateSession).
   */
  issue(
    userId: string,
    type: number,
    expirySeconds: number,
    privileges: string,
  ): { ks: string; validUntil: number } {
    const { partner } = this.#state();
    const validUntil = Math.floor(this.#now() / 1000) + expirySeconds;
    const inKs = privileges.includes('downloadasset') ? Math.ceil(validUntil / 300) * 300 : validUntil;
    const ks = encode({
      version: partner.ksVersion,
      adminSecret: partner.adminSecret,
      partnerId: partner.id,
      userId,
      type,
      validUntil: inKs,
      privileges,
      now: this.#now,
    });
    this.issued++;
    return { ks, validUntil };
  }

  /**
   * Parse a KS (ks::fromSecureString): it must decrypt or verify with the secrets of the partner it
   * names, so a KS of any other partner does not parse here. Throws `Error('INVALID_STR')` on failure.
   */
  parse(ks: string): SessionContext {
    const { partner } = this.#state();
    let decoded: DecodedKs;
    try {
      decoded = decode(ks, { adminSecret: partner.adminSecret });
    } catch {
      throw new Error('INVALID_STR');
    }
    if (decoded.signatureValid !== true || decoded.partnerId !== partner.id) throw new Error('INVALID_STR');
    return { ks, decoded, privileges: privilegeMap(decoded.privileges) };
  }

  /** Parse the KS a call was sent with (kCurrentContext::initKsPartnerUser): INVALID_KS with the KS as KSID. */
  parseForCall(ks: string): SessionContext {
    try {
      return this.parse(ks);
    } catch {
      throw errors.invalidKs(ks);
    }
  }

  /**
   * Validate a parsed KS used for a call (kPermissionManager::errorIfKsNotValid): expiry, IP and URI
   * restriction, then invalidation and the actions limit (never for widget sessions).
   */
  validate(ctx: SessionContext, facts: RequestFacts): void {
    const state = this.#state();
    const { decoded, privileges, ks } = ctx;
    // errorIfKsNotValid reports these reasons in KSID.
    if (decoded.validUntil <= Math.floor(this.#now() / 1000)) throw errors.invalidKs('EXPIRED');
    const ips = privileges.get('iprestrict');
    if (ips !== undefined && !ips.split('/').includes(facts.remoteAddress.replace(/^::ffff:/, ''))) {
      throw errors.invalidKs('EXCEEDED_RESTRICTED_IP');
    }
    const uris = privileges.get('urirestrict');
    if (uris !== undefined && !uriAllowed(uris, facts.uri)) throw errors.invalidKs('EXCEEDED_RESTRICTED_URI');
    if (!isWidgetSession(decoded)) {
      if (state.endedKs.includes(sha1(ks))) throw errors.invalidKs('LOGOUT');
      const sessionId = privileges.get('sessionid')?.split('/')[0];
      if (sessionId && state.invalidSessionKeys.includes(sessionIdKey(state.partner.id, sessionId))) {
        throw errors.invalidKs('LOGOUT');
      }
      const limit = privileges.get('actionslimit');
      if (limit !== undefined) {
        const left = this.#actionsLeft.get(ks);
        if (left === undefined) {
          // ks::isSetLimitAction
          if (!/^\s*\d+(\.\d*)?\s*$/.test(limit) || Number(limit) <= 0) throw errors.invalidActionsLimit();
          this.#actionsLeft.set(ks, Math.trunc(Number(limit)) - 1);
        } else if (left <= 0) {
          throw errors.invalidKs('EXCEEDED_ACTIONS_LIMIT');
        } else {
          this.#actionsLeft.set(ks, left - 1);
        }
      }
    }
  }

  /**
   * kPermissionManager::getRoleIds, after the KS is found valid: `restrictingrole` then `setrole`
   * through ks::getRole (a negative id is INVALID_SET_ROLE); a `setrole` naming no role of the
   * partner or partner 0 is INVALID_OBJECT_ID.
   */
  checkRoles(ctx: SessionContext): void {
    const state = this.#state();
    const { privileges } = ctx.decoded;
    getRole(privileges, 'restrictingrole');
    const role = getRole(privileges, 'setrole');
    // `if ($ksSetRoleId)`: '', '0' and absent ask for no role; 'null' means none.
    if (role === undefined || role === '' || role === '0' || role === 'null') return;
    // kCoreException("Unknown role Id [...]", ID_NOT_FOUND) carries no data: INVALID_OBJECT_ID with ID "N/A".
    if (!findRole(state.roles, role, state.partner.id)) throw errors.invalidObjectId();
  }

  /**
   * ks::validatePrivileges, run by session.start before the secret is checked: each `setrole` must
   * name a role of the partner or of partner 0.
   */
  validatePrivileges(privileges: string): void {
    const state = this.#state();
    for (const part of privileges.split(',')) {
      const [name, value = ''] = part.split(':');
      if (name === 'setrole' && !findRole(state.roles, value, state.partner.id)) throw errors.unknownRole();
    }
  }

  /** Forget a KS (`session.end`; ks::kill). */
  end(ks: string): void {
    this.#state().endedKs.push(sha1(ks));
  }
}

/** `urirestrict`: `|`-separated patterns; a trailing `*` is a prefix match on the request URI. */
function uriAllowed(patterns: string, uri: string): boolean {
  return patterns.split('|').some((p) => (p.endsWith('*') ? uri.startsWith(p.slice(0, -1)) : uri === p));
}
