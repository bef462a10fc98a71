/** KS issuing and checking in the emulator, with the server's rules (expiry, logout, restrictions, roles). */
import { createHash } from 'node:crypto';
import { type DecodedKs, decode, encode } from 'tokensmith/internal/kaltura/ks.js';
import { errors } from './api-error.js';
import type { EmulatorState } from './state.js';

/** A checked session: the decoded KS plus its privileges as a map. */
export interface SessionContext {
  ks: string;
  decoded: DecodedKs;
  privileges: Map<string, string>;
}

/** What the check needs to know about the request. */
export interface RequestFacts {
  /** Path and query as sent (`REQUEST_URI`). */
  uri: string;
  remoteAddress: string;
}

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

/** The invalidation key of a `sessionid` privilege: `sha1(partnerId + "_" + id)`. */
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

/** Issues and checks KSs for the emulated partner. */
export class Sessions {
  readonly #state: () => EmulatorState;
  readonly #now: () => number;
  /** Actions used per KS, for `actionslimit`. */
  readonly #actions = new Map<string, number>();
  issued = 0;

  constructor(state: () => EmulatorState, now: () => number) {
    this.#state = state;
    this.#now = now;
  }

  /** Make a KS, signed/encrypted with the admin secret whatever its type (`ks::toSecureString`). */
  issue(
    userId: string,
    type: number,
    expirySeconds: number,
    privileges: string,
  ): { ks: string; validUntil: number } {
    const { partner } = this.#state();
    const validUntil = Math.floor(this.#now() / 1000) + expirySeconds;
    const ks = encode({
      version: partner.ksVersion,
      adminSecret: partner.adminSecret,
      partnerId: partner.id,
      userId,
      type,
      validUntil,
      privileges,
      now: this.#now,
    });
    this.issued++;
    return { ks, validUntil };
  }

  /** Decode with the partner's secret; INVALID_KS when that fails. */
  read(ks: string): SessionContext {
    const { partner } = this.#state();
    let decoded: DecodedKs;
    try {
      decoded = decode(ks, { adminSecret: partner.adminSecret });
    } catch {
      throw errors.invalidKs(ks);
    }
    if (decoded.signatureValid !== true) throw errors.invalidKs(ks);
    if (decoded.partnerId !== partner.id) throw errors.invalidKs(ks, '-2', 'INVALID_PARTNER');
    return { ks, decoded, privileges: privilegeMap(decoded.privileges) };
  }

  /** Full check of a KS used for a call: signature, expiry, logout, IP/URI restriction, role, actions limit. */
  check(ks: string, facts: RequestFacts): SessionContext {
    const state = this.#state();
    const ctx = this.read(ks);
    const { decoded, privileges } = ctx;
    // The front controller reports these reasons in KSID (notes §5).
    if (decoded.validUntil <= Math.floor(this.#now() / 1000)) throw errors.invalidKs('EXPIRED');
    if (state.endedKs.includes(sha1(ks))) throw errors.invalidKs('LOGOUT');
    const sessionId = privileges.get('sessionid');
    if (sessionId && state.invalidSessionKeys.includes(sessionIdKey(state.partner.id, sessionId))) {
      throw errors.invalidKs('LOGOUT');
    }
    const ips = privileges.get('iprestrict');
    if (ips !== undefined && !ips.split('/').includes(facts.remoteAddress.replace(/^::ffff:/, ''))) {
      throw errors.invalidKs('EXCEEDED_RESTRICTED_IP');
    }
    const uris = privileges.get('urirestrict');
    if (uris !== undefined && !uriAllowed(uris, facts.uri)) throw errors.invalidKs('EXCEEDED_RESTRICTED_URI');
    const role = privileges.get('setrole');
    if (role !== undefined) this.#checkRole(role);
    const limit = privileges.get('actionslimit');
    if (limit !== undefined) {
      const n = Number(limit);
      if (!Number.isInteger(n) || n <= 0) throw errors.invalidActionsLimit();
      const used = (this.#actions.get(ks) ?? 0) + 1;
      if (used > n) throw errors.invalidKs('EXCEEDED_ACTIONS_LIMIT');
      this.#actions.set(ks, used);
    }
    return ctx;
  }

  #checkRole(value: string): void {
    const state = this.#state();
    if (/^-\d+$/.test(value)) throw errors.invalidSetRole();
    const found = state.roles.some(
      (r) =>
        r.status !== 3 &&
        (String(r.id) === value || r.systemName === value) &&
        [0, state.partner.id].includes(r.partnerId),
    );
    if (!found) throw errors.unknownRole(value);
  }

  /** Forget a KS (`session.end`). */
  end(ks: string): void {
    this.#state().endedKs.push(sha1(ks));
  }
}

/** `urirestrict`: `|`-separated patterns; a trailing `*` is a prefix match on the request URI. */
export function uriAllowed(patterns: string, uri: string): boolean {
  return patterns.split('|').some((p) => (p.endsWith('*') ? uri.startsWith(p.slice(0, -1)) : uri === p));
}
