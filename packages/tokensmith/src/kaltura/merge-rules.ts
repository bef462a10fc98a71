/**
 * What `appToken.startSession` makes of the requested session options (`AppTokenService` and
 * `ks::retrieveAllowedAppSessionPrivileges` in the server): the token's settings win.
 */
import { format, isReserved, type Privilege, parse } from './privileges.js';
import { sessionTypeName } from './session-type.js';

/** Session options a caller may send with `appToken.startSession`. */
export interface AppTokenSessionRequest {
  userId?: string;
  /** 0 USER, 2 ADMIN. */
  type?: number;
  /** Seconds. */
  expiry?: number;
  sessionPrivileges?: string;
}

/** The app-token settings that decide the session (as `appToken.get` returns them). */
export interface AppTokenSessionSettings {
  id: string;
  sessionType?: number | null;
  sessionUserId?: string | null;
  /** Seconds. */
  sessionDuration?: number | null;
  /** Absolute Unix seconds. */
  expiry?: number | null;
  sessionPrivileges?: string | null;
}

/** The predicted session. Fields are undefined when they depend on token settings not given. */
export interface PredictedSession {
  userId?: string;
  type?: number;
  /** Lifetime in seconds. */
  expiry?: number;
  privileges?: string;
  /** True when the token has expired: startSession answers APP_TOKEN_EXPIRED. */
  tokenExpired?: boolean;
  /** One sentence per request option the server will ignore or change. */
  notes: string[];
}

/**
 * Predict the session `startSession` will create. Without `token` only the rules that hold for any
 * token are applied (reserved privilege names are dropped unless the token sets them to `*`).
 */
export function predictAppTokenSession(
  request: AppTokenSessionRequest,
  token?: AppTokenSessionSettings,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): PredictedSession {
  const notes: string[] = [];
  const requested = parse(request.sessionPrivileges);
  if (!token) {
    for (const p of requested) {
      if (isReserved(p.name)) {
        notes.push(
          `requested privilege "${p.name}" is reserved: ignored unless the app token sets it to "*"`,
        );
      }
    }
    if (request.userId !== undefined) notes.push('userId is ignored when the app token fixes sessionUserId');
    if (request.type !== undefined) notes.push('type is ignored when the app token fixes sessionType');
    if (request.expiry !== undefined) {
      notes.push("expiry is capped by the app token's sessionDuration and its own expiry");
    }
    return { notes };
  }

  // Expiry: the shorter of sessionDuration and the time the token has left, then of the request.
  const duration = token.sessionDuration ?? 86400;
  let tokenExpiry = duration;
  let tokenExpired = false;
  if (token.expiry !== null && token.expiry !== undefined) {
    tokenExpiry = Math.min(tokenExpiry, token.expiry - nowSeconds);
    if (tokenExpiry < 0) tokenExpired = true;
  }
  // `!$expiry` in PHP: 0 counts as "not given".
  const expiry = request.expiry ? Math.min(request.expiry, tokenExpiry) : tokenExpiry;
  if (request.expiry && request.expiry > tokenExpiry) {
    notes.push(`expiry ${request.expiry}s is shortened to ${tokenExpiry}s by the app token`);
  }

  const tokenType = token.sessionType ?? undefined;
  const type = tokenType ?? request.type ?? 0;
  if (tokenType !== undefined && request.type !== undefined && request.type !== tokenType) {
    notes.push(
      `type ${sessionTypeName(request.type)} is replaced by the app token's ${sessionTypeName(tokenType)}`,
    );
  }

  const tokenUser = token.sessionUserId ?? undefined;
  const userId = tokenUser ?? request.userId;
  if (tokenUser !== undefined && request.userId !== undefined && request.userId !== tokenUser) {
    notes.push(`userId "${request.userId}" is replaced by the app token's "${tokenUser}"`);
  }

  const merged = mergePrivileges(token.id, parse(token.sessionPrivileges), requested, notes);
  const out: PredictedSession = { type, expiry, privileges: format(merged), tokenExpired, notes };
  if (userId !== undefined) out.userId = userId;
  return out;
}

/**
 * `sessionid:<id>,apptoken:<id>`, then the token's privileges (values of a repeated name are joined
 * with `/`), then each requested privilege whose name is neither reserved nor on the token, except
 * that a name the token sets to `*` takes the requested value.
 */
export function mergePrivileges(
  tokenId: string,
  tokenPrivileges: readonly Privilege[],
  requested: readonly Privilege[],
  notes: string[] = [],
): Privilege[] {
  const map = new Map<string, string[]>([
    ['sessionid', [tokenId]],
    ['apptoken', [tokenId]],
  ]);
  for (const p of tokenPrivileges) {
    const list = map.get(p.name) ?? [];
    list.push(...(p.values.length ? p.values : []));
    map.set(p.name, list);
  }
  const wildcard = new Set(tokenPrivileges.filter((p) => p.value === '*').map((p) => p.name));
  for (const p of requested) {
    if (wildcard.has(p.name)) {
      map.set(p.name, [...p.values]);
      continue;
    }
    if (isReserved(p.name)) {
      notes.push(`requested privilege "${p.name}" is reserved and is ignored`);
      continue;
    }
    if (map.has(p.name)) {
      notes.push(`requested privilege "${p.name}" is already set by the app token and is ignored`);
      continue;
    }
    map.set(p.name, [...p.values]);
  }
  return [...map].map(([name, values]) => ({ name, value: values.join('/'), values }));
}
