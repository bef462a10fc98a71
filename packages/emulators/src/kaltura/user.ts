/** `user.add` (UserService::addAction, kuserPeer::addUser) and the user-id rule other services share. */
import { errors, fromTemplate } from './api-error.js';
import type { ObjectType } from './arguments.js';
import { type ActionTable, type CallContext, seconds } from './call.js';
import { kalturaObject } from './objects.js';
import type { UserRecord } from './state.js';

/** kuser::PUSER_ID_REGEXP. PHP's `$` also matches before one final newline, hence `\n?`. */
const PUSER_ID = /^[A-Za-z0-9,!#$%&'*+?^_`{|}~.@-]{1,320}\n?$/;

/** True when `id` is a user id the server accepts for a new user. */
function isValidPuserId(id: unknown): id is string {
  return typeof id === 'string' && PUSER_ID.test(id);
}

/**
 * The pattern AppToken::setKuserIdBySessionUserId and KalturaCategoryUser::validateForInsert follow:
 * an existing user is fine whatever its id; a missing one is created when its id is valid, else
 * INVALID_FIELD_VALUE names `field`.
 */
export function ensureUser(ctx: CallContext, id: string, field: string): void {
  if (ctx.state.users.some((u) => u.id === id)) return;
  if (!isValidPuserId(id)) throw errors.invalidField(field);
  const now = seconds(ctx.now);
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
    createdAt: now,
    updatedAt: now,
  });
}

/** A user as KalturaUser. */
function userOut(u: UserRecord) {
  // kuser::getFullName: trim(first . ' ' . last), '' when both are empty.
  const fullName = `${u.firstName ?? ''} ${u.lastName ?? ''}`.trim();
  return kalturaObject('KalturaUser', { ...u, fullName, updatedAt: u.updatedAt ?? u.createdAt });
}

const USER: ObjectType = {
  object: 'KalturaUser',
  props: {
    id: { type: 'string' },
    partnerId: { type: 'int', readonly: true },
    screenName: { type: 'string' },
    email: { type: 'string' },
    status: { type: 'int' },
    createdAt: { type: 'time', readonly: true },
    updatedAt: { type: 'time', readonly: true },
    isAdmin: { type: 'bool' },
    roleIds: { type: 'string' },
    firstName: { type: 'string' },
    lastName: { type: 'string' },
    externalId: { type: 'string', insertOnly: true },
  },
};

const ID_AND_EXTERNAL_ID =
  'ID_AND_EXTERNAL_ID_ARE_MUTUALLY_EXCLUSIVE;;User operations with both id and external id not allowed';

/** The user service. */
export const userActions: ActionTable = {
  'user.add': {
    access: 'admin',
    params: [{ name: 'user', type: USER }],
    run(a, ctx) {
      const u = a.user as Record<string, unknown>;
      const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
      let id = str(u.id);
      const externalId = str(u.externalId);
      if (id?.trim() && externalId?.trim()) throw fromTemplate(ID_AND_EXTERNAL_ID);
      if (externalId) id = externalId;
      if (!isValidPuserId(id)) throw errors.invalidField('id');
      // kuserPeer::addUser
      if (ctx.state.users.some((x) => x.id === id)) throw errors.duplicateUser(id);
      const roleIds = str(u.roleIds) || null;
      if (roleIds) {
        // UserRolePeer::testValidRolesForUser: each id a role of the partner or of partner 0.
        for (const rid of roleIds.trim().split(',')) {
          const role = ctx.state.roles.find((r) => String(r.id) === rid && r.status !== 3);
          if (!role || ![ctx.state.partner.id, 0].includes(role.partnerId)) throw errors.userRoleNotFound();
        }
      }
      const now = seconds(ctx.now);
      const user: UserRecord = {
        id,
        partnerId: ctx.state.partner.id,
        email: str(u.email) ?? null,
        firstName: str(u.firstName) ?? null,
        lastName: str(u.lastName) ?? null,
        screenName: str(u.screenName) ?? id,
        isAdmin: u.isAdmin === true,
        roleIds,
        status: typeof u.status === 'number' ? u.status : 1,
        createdAt: now,
        updatedAt: now,
      };
      ctx.state.users.push(user);
      ctx.changed();
      return userOut(user);
    },
  },
};
