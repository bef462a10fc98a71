/** The userRole service (api_v3/services/UserRoleService.php): add and list. */
import { errors } from './api-error.js';
import {
  type EnumType,
  isNull,
  type ObjectArgument,
  type ObjectType,
  validateForInsert,
} from './arguments.js';
import { type ActionTable, inList, listResponse, PAGER, seconds } from './call.js';
import { kalturaObject } from './objects.js';
import type { RoleRecord } from './state.js';

const STATUS: EnumType = { enum: 'KalturaUserRoleStatus', values: [1, 2, 3] };

const USER_ROLE: ObjectType = {
  object: 'KalturaUserRole',
  props: {
    id: { type: 'int', readonly: true },
    name: { type: 'string' },
    systemName: { type: 'string' },
    description: { type: 'string' },
    status: { type: STATUS },
    partnerId: { type: 'int', readonly: true },
    permissionNames: { type: 'string' },
    tags: { type: 'string' },
    createdAt: { type: 'time', readonly: true },
    updatedAt: { type: 'time', readonly: true },
  },
};

// KalturaUserRoleBaseFilter: there is no nameLike; descriptionLike is the only like-filter.
const FILTER: ObjectType = {
  object: 'KalturaUserRoleFilter',
  props: {
    idEqual: { type: 'int' },
    idIn: { type: 'string' },
    nameEqual: { type: 'string' },
    nameIn: { type: 'string' },
    systemNameEqual: { type: 'string' },
    systemNameIn: { type: 'string' },
    descriptionLike: { type: 'string' },
    statusEqual: { type: STATUS },
    statusIn: { type: 'string' },
    partnerIdEqual: { type: 'int' },
    partnerIdIn: { type: 'string' },
  },
};

const roleOut = (r: RoleRecord) => kalturaObject('KalturaUserRole', r);

/** The userRole service. */
export const userRoleActions: ActionTable = {
  'userrole.add': {
    access: 'admin',
    params: [{ name: 'userRole', type: USER_ROLE }],
    run(a, ctx) {
      const r = a.userRole as ObjectArgument;
      if (isNull(r, 'name') || r.name === '') throw errors.cannotBeNull('KalturaUserRole::name');
      const name = r.name as string;
      // UserRolePeer::getByNameAndPartnerId: names are unique over the partner's roles and partner 0's, deleted ones aside.
      if (
        ctx.state.roles.some(
          (x) => x.name === name && x.status !== 3 && [0, ctx.state.partner.id].includes(x.partnerId),
        )
      ) {
        throw errors.roleNameExists();
      }
      validateForInsert(USER_ROLE, r);
      const now = seconds(ctx.now);
      const str = (v: unknown) => (typeof v === 'string' ? v : null);
      const role: RoleRecord = {
        id: ctx.state.nextRoleId++,
        name,
        systemName: str(r.systemName) ?? name,
        description: str(r.description),
        status: (r.status as number | undefined) || 1,
        partnerId: ctx.state.partner.id,
        permissionNames: str(r.permissionNames),
        tags: str(r.tags),
        createdAt: now,
        updatedAt: now,
      };
      ctx.state.roles.push(role);
      ctx.changed();
      return roleOut(role);
    },
  },
  'userrole.list': {
    access: 'admin',
    params: [
      { name: 'filter', type: FILTER, default: null },
      { name: 'pager', type: PAGER, default: null },
    ],
    run(a, ctx) {
      const f = (a.filter as ObjectArgument | null) ?? {};
      const eq = (field: keyof RoleRecord, key: string) => (r: RoleRecord) =>
        f[key] === undefined || String(r[field]) === String(f[key]);
      const among = (field: keyof RoleRecord, key: string) => {
        const want = inList(f[key]);
        return (r: RoleRecord) => !want || want.includes(String(r[field]));
      };
      const like = typeof f.descriptionLike === 'string' ? f.descriptionLike.toLowerCase() : undefined;
      const items = ctx.state.roles
        // The partner's roles and partner 0's (list allows the global partner), never deleted ones.
        .filter((r) => r.status !== 3 && [0, ctx.state.partner.id].includes(r.partnerId))
        .filter(eq('name', 'nameEqual'))
        .filter(among('name', 'nameIn'))
        .filter(eq('systemName', 'systemNameEqual'))
        .filter(among('systemName', 'systemNameIn'))
        .filter(eq('id', 'idEqual'))
        .filter(among('id', 'idIn'))
        .filter(eq('status', 'statusEqual'))
        .filter(among('status', 'statusIn'))
        .filter(eq('partnerId', 'partnerIdEqual'))
        .filter(among('partnerId', 'partnerIdIn'))
        .filter((r) => like === undefined || (r.description ?? '').toLowerCase().includes(like))
        .map(roleOut);
      return listResponse('KalturaUserRoleListResponse', items, a.pager as ObjectArgument | null);
    },
  },
};
