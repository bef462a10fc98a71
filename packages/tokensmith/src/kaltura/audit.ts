/**
 * Audit of app tokens: flags the settings that make a leaked token dangerous, each with a
 * severity and a reason.
 */
import type { AppToken } from './app-token.js';
import { check, get, parse } from './privileges.js';

/** Severity of a finding, `high` first. */
export type Severity = 'high' | 'medium' | 'low';

/** Severity order, most severe first. */
export const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low'];

/** One risky setting. */
export interface AuditFinding {
  /** Stable rule id: `admin-session`, `no-expiry`, `far-expiry`, `no-role`, `no-uri-restriction`, `weak-hash`, `wildcard-privilege`, `entitlement-disabled`, `unknown-privilege`. */
  rule: string;
  severity: Severity;
  reason: string;
}

/** A token with at least one finding. */
export interface AuditEntry {
  id: string;
  description?: string;
  status: string;
  sessionUserId?: string;
  /** The most severe finding's severity. */
  severity: Severity;
  findings: AuditFinding[];
}

/** Options for {@link auditAppTokens}. */
export interface AuditOptions {
  /** Clock, epoch ms. */
  now?: () => number;
  /** An expiry further away than this many days is flagged (default 365). */
  maxExpiryDays?: number;
  /** Also audit DISABLED tokens (they can be re-enabled); DELETED ones are always skipped. */
  includeDisabled?: boolean;
  /** Report only findings at or above this severity (default `low`). */
  minSeverity?: Severity;
}

const rank = (s: Severity) => SEVERITIES.indexOf(s);

/** Findings for one token (empty when nothing is risky). */
export function auditAppToken(token: AppToken, options: AuditOptions = {}): AuditFinding[] {
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  const maxDays = options.maxExpiryDays ?? 365;
  const privileges = parse(token.sessionPrivileges);
  const out: AuditFinding[] = [];
  const add = (rule: string, severity: Severity, reason: string) => out.push({ rule, severity, reason });

  if (token.sessionType === 2) {
    add(
      'admin-session',
      'high',
      'sessions started from it are ADMIN sessions with full access to the partner',
    );
  }
  // `urirestrict` values are paths where a trailing `*` is a prefix match, not a wildcard grant.
  if (privileges.some((p) => p.name === '*' || (p.name !== 'urirestrict' && p.values.includes('*')))) {
    add('wildcard-privilege', 'high', 'a "*" privilege grants everything it names');
  }
  if (token.expiry === undefined) {
    add('no-expiry', 'medium', 'the token never expires');
  } else {
    const days = Math.floor((token.expiry - nowSeconds) / 86400);
    if (days > maxDays) add('far-expiry', 'low', `the token expires in ${days} days (more than ${maxDays})`);
  }
  if (!get(privileges, 'setrole')) {
    add('no-role', 'medium', 'no "setrole" privilege: sessions get every permission of their session type');
  }
  if (!get(privileges, 'urirestrict')) {
    add('no-uri-restriction', 'low', 'no "urirestrict" privilege: sessions may call every API service');
  }
  if (token.hashType === 'MD5') add('weak-hash', 'medium', 'hash type MD5 is broken; use SHA256 or SHA512');
  else if (token.hashType === 'SHA1') add('weak-hash', 'low', 'hash type SHA1 is weak; use SHA256 or SHA512');
  const disabling = privileges.filter((p) => p.name.startsWith('disableentitlement'));
  if (disabling.length > 0) {
    add(
      'entitlement-disabled',
      'medium',
      `"${disabling[0]!.name}" turns entitlement checks off: all content is reachable`,
    );
  }
  for (const warning of check(privileges)) {
    if (warning.includes('unknown')) add('unknown-privilege', 'low', warning);
  }
  const min = rank(options.minSeverity ?? 'low');
  return out.filter((f) => rank(f.severity) <= min).sort((a, b) => rank(a.severity) - rank(b.severity));
}

/** Audit `tokens` (ACTIVE ones, and DISABLED ones when asked); returns only tokens with findings, worst first. */
export function auditAppTokens(tokens: readonly AppToken[], options: AuditOptions = {}): AuditEntry[] {
  const entries: AuditEntry[] = [];
  for (const token of tokens) {
    if (token.status === 3 || (token.status === 1 && !options.includeDisabled)) continue;
    const findings = auditAppToken(token, options);
    if (findings.length === 0) continue;
    const entry: AuditEntry = {
      id: token.id,
      status: token.statusName,
      severity: findings[0]!.severity,
      findings,
    };
    if (token.description !== undefined) entry.description = token.description;
    if (token.sessionUserId !== undefined) entry.sessionUserId = token.sessionUserId;
    entries.push(entry);
  }
  return entries.sort((a, b) => rank(a.severity) - rank(b.severity) || a.id.localeCompare(b.id));
}
