/**
 * The categoryUser service (api_v3/services/CategoryUserService.php, KalturaCategoryUser::validateForInsert):
 * add. The emulator's categories have no entitlement enforcement, so the requested level is kept.
 */
import { errors } from './api-error.js';
import { type EnumType, type ObjectArgument, type ObjectType, validateForInsert } from './arguments.js';
import { type ActionTable, seconds } from './call.js';
import { kalturaObject } from './objects.js';
import type { CategoryUserRecord } from './state.js';
import { ensureUser } from './user.js';

/** KalturaCategoryUserPermissionLevel: MANAGER 0, MODERATOR 1, CONTRIBUTOR 2, MEMBER 3, NONE 4. */
const PERMISSION_LEVEL: EnumType = { enum: 'KalturaCategoryUserPermissionLevel', values: [0, 1, 2, 3, 4] };

const CATEGORY_USER: ObjectType = {
  object: 'KalturaCategoryUser',
  props: {
    categoryId: { type: 'int', insertOnly: true },
    userId: { type: 'string', insertOnly: true },
    partnerId: { type: 'int', readonly: true },
    permissionLevel: { type: PERMISSION_LEVEL },
    status: { type: 'int', readonly: true },
    createdAt: { type: 'time', readonly: true },
    updatedAt: { type: 'time', readonly: true },
    permissionNames: { type: 'string' },
  },
};

/** The categoryUser service. */
export const categoryUserActions: ActionTable = {
  'categoryuser.add': {
    access: 'admin',
    params: [{ name: 'categoryUser', type: CATEGORY_USER }],
    run(a, ctx) {
      const cu = a.categoryUser as ObjectArgument;
      const categoryId = cu.categoryId as number | undefined;
      if (!ctx.state.categories.some((c) => c.id === categoryId))
        throw errors.categoryNotFound(categoryId as number);
      const userId = typeof cu.userId === 'string' ? cu.userId : '';
      if (userId === '0') throw errors.invalidUserId();
      // validatePropertyMinLength('userId', 1) checks for null first.
      if (cu.userId === undefined) throw errors.cannotBeNull('KalturaCategoryUser::userId');
      if (userId === '') throw errors.minLength('KalturaCategoryUser::userId', 1);
      if (ctx.state.categoryUsers.some((x) => x.categoryId === categoryId && x.userId === userId)) {
        throw errors.categoryUserExists();
      }
      ensureUser(ctx, userId, 'userId');
      validateForInsert(CATEGORY_USER, cu);
      const now = seconds(ctx.now);
      const record: CategoryUserRecord = {
        categoryId: categoryId as number,
        userId,
        partnerId: ctx.state.partner.id,
        permissionLevel: (cu.permissionLevel as number | undefined) ?? 3,
        status: 1,
        createdAt: now,
        updatedAt: now,
      };
      ctx.state.categoryUsers.push(record);
      ctx.changed();
      return kalturaObject('KalturaCategoryUser', { ...record, categoryFullIds: String(categoryId) });
    },
  },
};
