import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { TokensmithError } from '../core/errors.js';

/** What a lock file holds: who took it and when. `nonce` tells two holders with one pid apart. */
export interface LockOwner {
  pid: number;
  hostname: string;
  createdAt: number;
  nonce: string;
}

/** Options for {@link acquireFileLock}. */
export interface FileLockOptions {
  /**
   * A lock whose file has not been touched for this long is stale. Live holders touch it every third
   * of this time, so only a frozen holder or one on another host (shared folder) ages out.
   */
  staleLockMs: number;
  /** Give up with `ERR_LOCK_TIMEOUT` after waiting this long. */
  lockWaitMs: number;
  /** Told when a stale lock was removed, with the reason (for a warning and counters). */
  onBreak?: (info: { file: string; reason: string; owner?: LockOwner }) => void;
}

/** A held lock. */
export interface FileLock {
  /** Remove the lock file if it is still ours, and stop touching it. */
  release(): Promise<void>;
}

const THIS_HOST = hostname();
/** Nonces of locks held by this process, to recognise a lock left by an earlier process with our pid. */
const heldHere = new Set<string>();
const MAX_BACKOFF_MS = 100;
/** Breaking is a few syscalls: a break guard older than this was left by a process that died in it. */
const BREAK_GUARD_STALE_MS = 5_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Take the lock file at `path` (created with `open(path, 'wx')`), waiting with bounded, jittered
 * backoff. A lock is broken when its holder is gone (same host, `kill(pid, 0)` says ESRCH) or when it
 * is older than `staleLockMs`.
 */
export async function acquireFileLock(path: string, options: FileLockOptions): Promise<FileLock> {
  const deadline = Date.now() + options.lockWaitMs;
  let backoff = 2;
  for (;;) {
    const owner: LockOwner = {
      pid: process.pid,
      hostname: THIS_HOST,
      createdAt: Date.now(),
      nonce: randomBytes(12).toString('hex'),
    };
    if (await tryCreate(path, owner)) return held(path, owner, options.staleLockMs);
    const seen = await inspect(path);
    if (!seen) continue; // released between our attempt and the look: try again at once
    const reason = staleReason(seen, options.staleLockMs);
    if (reason) {
      const outcome = await breakLock(path, seen);
      if (outcome === 'broken') options.onBreak?.({ file: basename(path), reason, owner: seen.owner });
      // 'gone': released while we judged it (our verdict may rest on that release); just try again.
      if (outcome !== 'changed') continue;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new TokensmithError(
        'ERR_LOCK_TIMEOUT',
        `waited ${options.lockWaitMs} ms for the cache lock ${basename(path)} held by ${describe(seen.owner)}`,
        { source: 'file cache' },
      );
    }
    await sleep(Math.min(left, backoff / 2 + Math.random() * backoff));
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

async function tryCreate(path: string, owner: LockOwner): Promise<boolean> {
  // Known as ours before anyone can read it, or another cache in this process would take our pid
  // with an unknown nonce for a leftover of an earlier process.
  heldHere.add(owner.nonce);
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (err) {
    heldHere.delete(owner.nonce);
    if (errno(err) === 'EEXIST') return false;
    throw new TokensmithError('ERR_CACHE_UNAVAILABLE', `cannot create the cache lock ${basename(path)}`, {
      cause: err,
      source: 'file cache',
    });
  }
  try {
    // A holder killed before this write leaves an empty file; waiters then judge it by age alone.
    await handle.writeFile(JSON.stringify(owner));
  } finally {
    await handle.close();
  }
  return true;
}

function held(path: string, owner: LockOwner, staleLockMs: number): FileLock {
  // Keep the file young while we hold it, so a slow renewal (a person logging in) is not mistaken for a dead one.
  const timer = setInterval(
    () => {
      const now = new Date();
      utimes(path, now, now).catch(() => {});
    },
    Math.max(50, Math.floor(staleLockMs / 3)),
  );
  timer.unref();
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      clearInterval(timer);
      try {
        const seen = await inspect(path);
        // Someone broke our lock (we were frozen past staleLockMs) and took it: that one is theirs.
        if (seen?.owner?.nonce === owner.nonce) await unlink(path).catch(() => {});
      } finally {
        heldHere.delete(owner.nonce);
      }
    },
  };
}

interface Seen {
  stat: Stats;
  text: string;
  owner?: LockOwner;
}

async function inspect(path: string): Promise<Seen | undefined> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    return { stat: st, text, owner: parseOwner(text) };
  } catch (err) {
    if (errno(err) === 'ENOENT') return undefined;
    throw new TokensmithError('ERR_CACHE_UNAVAILABLE', `cannot read the cache lock ${basename(path)}`, {
      cause: err,
      source: 'file cache',
    });
  }
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (
      typeof o.pid === 'number' &&
      typeof o.hostname === 'string' &&
      typeof o.createdAt === 'number' &&
      typeof o.nonce === 'string'
    ) {
      return o as LockOwner;
    }
  } catch {
    // Empty or half-written: the holder died between create and write, or is writing right now.
  }
  return undefined;
}

/** Why the lock looks abandoned, or undefined while its holder may still be working. */
function staleReason(seen: Seen, staleLockMs: number): string | undefined {
  const owner = seen.owner;
  if (owner && owner.hostname === THIS_HOST) {
    if (owner.pid === process.pid) {
      if (!heldHere.has(owner.nonce)) return `left by an earlier process with this pid (${owner.pid})`;
    } else if (!isAlive(owner.pid)) {
      return `its holder (pid ${owner.pid}) is gone`;
    }
  }
  const age = Date.now() - seen.stat.mtimeMs;
  if (age > staleLockMs) return `untouched for ${Math.round(age)} ms (more than ${staleLockMs} ms)`;
  return undefined;
}

/** True unless the OS says no such process (EPERM means it exists but belongs to another user). */
export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errno(err) !== 'ESRCH';
  }
}

/**
 * Remove the stale lock `seen`, unless it changed meanwhile. Two waiters may judge the same lock
 * stale; a short-lived guard file makes "check it is still that lock, then unlink" atomic between
 * them, so one cannot delete the fresh lock the other just took.
 */
async function breakLock(path: string, seen: Seen): Promise<'broken' | 'gone' | 'changed'> {
  const guard = `${path}.break`;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(guard, 'wx', 0o600);
  } catch (err) {
    if (errno(err) !== 'EEXIST') throw err;
    const st = await stat(guard).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > BREAK_GUARD_STALE_MS) await unlink(guard).catch(() => {});
    return 'changed';
  }
  try {
    await handle.close();
    const now = await inspect(path);
    if (!now) return 'gone';
    const same =
      now.stat.ino === seen.stat.ino && now.stat.mtimeMs === seen.stat.mtimeMs && now.text === seen.text;
    if (!same) return 'changed';
    try {
      await unlink(path);
    } catch (err) {
      if (errno(err) === 'ENOENT') return 'gone';
      throw err;
    }
    return 'broken';
  } finally {
    await unlink(guard).catch(() => {});
  }
}

function describe(owner: LockOwner | undefined): string {
  return owner ? `pid ${owner.pid} on ${owner.hostname}` : 'an unknown holder';
}

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}
