/** The category service, as far as the workflow needs it: add. */
import { errors } from './api-error.js';
import { isNull, type ObjectArgument, type ObjectType, validateForInsert } from './arguments.js';
import { type ActionTable, seconds } from './call.js';
import { kalturaObject } from './objects.js';

const CATEGORY: ObjectType = {
  object: 'KalturaCategory',
  props: {
    id: { type: 'int', readonly: true },
    name: { type: 'string' },
    partnerId: { type: 'int', readonly: true },
  },
};

/** The category service. */
export const categoryActions: ActionTable = {
  'category.add': {
    access: 'admin',
    params: [{ name: 'category', type: CATEGORY }],
    run(a, ctx) {
      const c = a.category as ObjectArgument;
      if (isNull(c, 'name') || c.name === '') throw errors.cannotBeNull('KalturaCategory::name');
      validateForInsert(CATEGORY, c);
      const category = {
        id: ctx.state.nextCategoryId++,
        name: c.name as string,
        partnerId: ctx.state.partner.id,
      };
      ctx.state.categories.push(category);
      ctx.changed();
      const now = seconds(ctx.now);
      return kalturaObject('KalturaCategory', {
        ...category,
        fullName: category.name,
        fullIds: String(category.id),
        depth: 0,
        createdAt: now,
        updatedAt: now,
      });
    },
  },
};
