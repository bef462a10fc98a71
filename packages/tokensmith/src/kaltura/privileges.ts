/**
 * KS privileges: a `,`-separated list of `name` or `name:value` entries, several values joined by
 * `/` (`edit:0_a/0_b`), `*` meaning all privileges. Names are case-sensitive.
 */
import { getLogger } from '../core/log.js';

const log = getLogger('kaltura');

/**
 * The 33 names the server reserves (`kSessionBase::getServerPrivileges()`). A session started from an
 * app token never takes these from the request, only from the token.
 */
export const RESERVED_PRIVILEGES: readonly string[] = Object.freeze([
  'edit',
  'sview',
  'list',
  'download',
  'downloadasset',
  'editplaylist',
  'sviewplaylist',
  'actionslimit',
  'setrole',
  'restrictingrole',
  'limitentry',
  'iprestrict',
  'urirestrict',
  'enableentitlement',
  'disableentitlement',
  'disableentitlementforentry',
  'disableentitlementforplaylist',
  'privacycontext',
  'enablecategorymoderation',
  'reftime',
  'sessionkey',
  'preview',
  'sessionid',
  'jobtype',
  'apptoken',
  'enablechangeaccount',
  'edituser',
  'enablecaptionmoderation',
  'editadmintags',
  'restrictexplicitliveview',
  'virtualeventid',
  'searchcontext',
  'disablesessiontypecheck',
]);

const RESERVED = new Set(RESERVED_PRIVILEGES);

/** Names the server understands although they are not reserved: `*`/`all:*` and the widget KS's `view:*,widget:1`. */
const OTHER_KNOWN = new Set(['*', 'all', 'view', 'widget']);

/** One privilege entry. */
export interface Privilege {
  /** Name, e.g. `setrole`; `*` for the bare wildcard. */
  name: string;
  /** Everything after the first `:`, or `''` when there is none. */
  value: string;
  /** `value` split on `/`; empty when `value` is `''`. */
  values: string[];
}

/** Input accepted by {@link format}: parsed entries, or a map of name to value (`true` = no value). */
export type PrivilegesInput =
  | readonly Privilege[]
  | Readonly<Record<string, string | number | boolean | readonly (string | number)[] | null | undefined>>;

/** True for one of the 33 reserved names. */
export function isReserved(name: string): boolean {
  return RESERVED.has(name);
}

/** True when the server knows `name` (reserved, `*`, `all`, `view`, `widget`). */
export function isKnown(name: string): boolean {
  return RESERVED.has(name) || OTHER_KNOWN.has(name);
}

/**
 * Parse a privileges string. Entries are trimmed and empty ones skipped (as the server does); every
 * entry is kept in order, duplicates included (see {@link check} for what a v2 KS does with them).
 */
export function parse(privileges: string | null | undefined): Privilege[] {
  if (!privileges) return [];
  const out: Privilege[] = [];
  for (const raw of privileges.split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const colon = part.indexOf(':');
    const name = colon === -1 ? part : part.slice(0, colon);
    const value = colon === -1 ? '' : part.slice(colon + 1);
    out.push({ name, value, values: value === '' ? [] : value.split('/') });
  }
  return out;
}

/** Build a privileges string from entries or a `{ name: value }` map (`true` or `''` = bare name). */
export function format(input: PrivilegesInput): string {
  const entries: Array<[string, string]> = Array.isArray(input)
    ? (input as readonly Privilege[]).map((p) => [p.name, p.value])
    : Object.entries(input as Record<string, unknown>)
        .filter(([, v]) => v !== undefined && v !== null && v !== false)
        .map(([k, v]) => [k, v === true ? '' : Array.isArray(v) ? v.join('/') : String(v)]);
  return entries.map(([name, value]) => (value === '' ? name : `${name}:${value}`)).join(',');
}

/** First entry named `name`, if any. */
export function get(privileges: string | readonly Privilege[], name: string): Privilege | undefined {
  const list = typeof privileges === 'string' ? parse(privileges) : privileges;
  return list.find((p) => p.name === name);
}

/** Closest known name (edit distance ≤ 3, or one name containing the other), for "did you mean". */
export function suggest(name: string): string | undefined {
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const known of [...RESERVED_PRIVILEGES, 'view', 'widget']) {
    const d = distance(name.toLowerCase(), known);
    const score =
      known.includes(name.toLowerCase()) || name.toLowerCase().includes(known) ? Math.min(d, 3) : d;
    if (score < bestScore) {
      bestScore = score;
      best = known;
    }
  }
  return bestScore <= 3 || (best !== undefined && name.toLowerCase().includes(best)) ? best : undefined;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * Problems with a privileges string, as human sentences: names the server does not know (they
 * have no effect, e.g. `enableentitlementforentry`), `view` used where `sview` was meant, names a
 * KS v2 would alter (`.`, space) or that break the format, and names given twice (a v2 KS keeps the
 * last value only; join values with `/` instead).
 */
export function check(privileges: string | readonly Privilege[]): string[] {
  const list = typeof privileges === 'string' ? parse(privileges) : privileges;
  const warnings: string[] = [];
  const seen = new Set<string>();
  for (const p of list) {
    if (!isKnown(p.name)) {
      const hint = suggest(p.name);
      warnings.push(
        `privilege "${p.name}" is unknown to the Kaltura server and has no effect${hint ? ` (did you mean "${hint}"?)` : ''}`,
      );
    } else if (p.name === 'view' && !list.some((q) => q.name === 'widget')) {
      warnings.push('privilege "view" only has meaning in a widget KS; the viewing privilege is "sview"');
    }
    if (/[. [\]&=;|]/.test(p.name)) {
      warnings.push(`privilege name "${p.name}" contains characters a KS changes or cannot carry`);
    }
    if (seen.has(p.name)) {
      warnings.push(
        `privilege "${p.name}" is given twice; a KS v2 keeps only the last value (use "/" to list values)`,
      );
    }
    seen.add(p.name);
  }
  return warnings;
}

/** Warnings already logged in this process: a provider built again (a profile, a proxy) says each once. */
const warned = new Set<string>();

/**
 * {@link check}, logging each warning at `warn` level on the `kaltura` logger, once per process for
 * the same context and warning; returns the warnings.
 */
export function warnUnknown(privileges: string | readonly Privilege[], context: string): string[] {
  const warnings = check(privileges);
  for (const w of warnings) {
    const line = `${context}: ${w}`;
    if (warned.has(line)) continue;
    warned.add(line);
    log.warn(line);
  }
  return warnings;
}
