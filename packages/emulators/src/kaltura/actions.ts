/**
 * The emulated actions, one module per service: session, appToken, userRole, user, category,
 * categoryUser. Each declares its parameters as the server's PHP signature does.
 */
import { appTokenActions } from './app-token.js';
import type { ActionTable } from './call.js';
import { categoryActions } from './category.js';
import { categoryUserActions } from './category-user.js';
import { sessionActions } from './session.js';
import { userActions } from './user.js';
import { userRoleActions } from './user-role.js';

/** The action table, keyed `service.action` in lower case (the server lowercases both). */
export const actions: ActionTable = {
  ...sessionActions,
  ...appTokenActions,
  ...userRoleActions,
  ...userActions,
  ...categoryActions,
  ...categoryUserActions,
};

/** The services that exist (SERVICE_DOES_NOT_EXISTS otherwise). */
export const services: ReadonlySet<string> = new Set(Object.keys(actions).map((key) => key.split('.')[0]!));
