/** The emulator's data, kept in memory and optionally in a JSON file written atomically. */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** One partner (the emulator serves one). */
export interface PartnerRecord {
  id: number;
  adminSecret: string;
  /** The user secret: non-ADMIN sessions only. */
  secret: string;
  ksMaxExpiryInSeconds: number;
  ksVersion: 1 | 2;
}

/** A stored app token, `token` included. */
export interface AppTokenRecord {
  id: string;
  token: string;
  partnerId: number;
  createdAt: number;
  updatedAt: number;
  status: number;
  expiry: number | null;
  sessionType: number | null;
  sessionUserId: string | null;
  sessionDuration: number;
  sessionPrivileges: string | null;
  hashType: string;
  description: string | null;
}

/** A user role. */
export interface RoleRecord {
  id: number;
  name: string;
  systemName: string;
  description: string | null;
  status: number;
  partnerId: number;
  permissionNames: string | null;
  tags: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A user. */
export interface UserRecord {
  id: string;
  partnerId: number;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  screenName: string | null;
  isAdmin: boolean;
  roleIds: string | null;
  status: number;
  createdAt: number;
  /** Absent in state files written before it was kept. */
  updatedAt?: number;
}

/** A category. */
export interface CategoryRecord {
  id: number;
  name: string;
  partnerId: number;
}

/** A category membership. */
export interface CategoryUserRecord {
  categoryId: number;
  userId: string;
  partnerId: number;
  permissionLevel: number;
  status: number;
  createdAt: number;
  /** Absent in state files written before it was kept. */
  updatedAt?: number;
}

/** Everything the emulator knows. */
export interface EmulatorState {
  v: 1;
  partner: PartnerRecord;
  appTokens: AppTokenRecord[];
  roles: RoleRecord[];
  nextRoleId: number;
  users: UserRecord[];
  categories: CategoryRecord[];
  nextCategoryId: number;
  categoryUsers: CategoryUserRecord[];
  /** `sha1(partnerId + "_" + sessionid)` keys of invalidated sessions (appToken.delete). */
  invalidSessionKeys: string[];
  /** SHA-1 of KSs ended with `session.end`. */
  endedKs: string[];
}

/** A fresh state for one partner. */
export function newState(
  partnerId: number,
  adminSecret?: string,
  categoryIds: number[] = [1],
): EmulatorState {
  return {
    v: 1,
    partner: {
      id: partnerId,
      adminSecret: adminSecret ?? randomBytes(16).toString('hex'),
      secret: randomBytes(16).toString('hex'),
      ksMaxExpiryInSeconds: 86400,
      ksVersion: 2,
    },
    appTokens: [],
    roles: [],
    nextRoleId: 1001,
    users: [],
    categories: categoryIds.map((id) => ({ id, name: `category ${id}`, partnerId })),
    nextCategoryId: Math.max(0, ...categoryIds) + 1,
    categoryUsers: [],
    invalidSessionKeys: [],
    endedKs: [],
  };
}

/** Read a state file; undefined when it does not exist. */
export async function loadState(file: string): Promise<EmulatorState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const state = JSON.parse(text) as EmulatorState;
  if (state?.v !== 1 || !state.partner) throw new Error(`${file} is not a Kaltura emulator state file`);
  return state;
}

/** Write the state atomically: temp file (mode 0600, it holds secrets), fsync, rename. */
export async function saveState(file: string, state: EmulatorState): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify(state, null, 2));
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => {});
    throw err;
  }
}
