/** `tokensmith kaltura role-id|role-add|user-add|category-user-add`. */
import { info, out, UsageError } from '../io.js';
import { adminFor, type ConnectionOpts } from './kaltura-common.js';

const LEVELS: Record<string, number> = { MANAGER: 0, MODERATOR: 1, CONTRIBUTOR: 2, MEMBER: 3, NONE: 4 };

/** Run `kaltura role-id NAME`. */
export async function roleIdCommand(name: string, opts: ConnectionOpts): Promise<void> {
  const id = await adminFor(opts).roleId(name);
  out(opts.json ? JSON.stringify({ name, id }) : String(id));
}

/** Run `kaltura role-add NAME`. */
export async function roleAddCommand(
  name: string,
  opts: ConnectionOpts & { permissions?: string; systemName?: string; description?: string },
): Promise<void> {
  const role = await adminFor(opts).addRole({
    name,
    permissionNames: opts.permissions,
    systemName: opts.systemName,
    description: opts.description,
  });
  out(opts.json ? JSON.stringify(role, null, 2) : String(role.id));
}

/** Run `kaltura user-add ID`. */
export async function userAddCommand(
  id: string,
  opts: ConnectionOpts & { email?: string; firstName?: string; lastName?: string },
): Promise<void> {
  const user = await adminFor(opts).addUser({
    id,
    email: opts.email,
    firstName: opts.firstName,
    lastName: opts.lastName,
  });
  if (opts.json) out(JSON.stringify(user, null, 2));
  else info(`created user ${id}`);
}

/** Run `kaltura category-user-add`. */
export async function categoryUserAddCommand(
  opts: ConnectionOpts & { categoryId: string; userId: string; permissionLevel?: string },
): Promise<void> {
  if (!/^\d+$/.test(opts.categoryId)) throw new UsageError('--category-id must be a number');
  const levelName = (opts.permissionLevel ?? 'MEMBER').toUpperCase();
  const level = /^\d$/.test(levelName) ? Number(levelName) : LEVELS[levelName];
  if (level === undefined || level > 4) {
    throw new UsageError('--permission-level must be MANAGER, MODERATOR, CONTRIBUTOR, MEMBER or NONE');
  }
  const result = await adminFor(opts).addCategoryUser({
    categoryId: Number(opts.categoryId),
    userId: opts.userId,
    permissionLevel: level,
  });
  if (opts.json) out(JSON.stringify(result, null, 2));
  else info(`added ${opts.userId} to category ${opts.categoryId}`);
}
