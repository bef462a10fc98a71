/** What an emulated action is (its access, its declared parameters, its code) and what it runs with. */
import type { Arguments, EnumType, ObjectType, ParamDecl } from './arguments.js';
import { type KalturaObject, kalturaObject } from './objects.js';
import type { SessionContext, Sessions } from './sessions.js';
import type { EmulatorState } from './state.js';

/** Who may call an action: anyone, any valid session (widget included), or ADMIN sessions only. */
export type Access = 'none' | 'session' | 'admin';

/** What a handler gets besides its arguments. */
export interface CallContext {
  state: EmulatorState;
  sessions: Sessions;
  /** Epoch ms. */
  now: number;
  /** The session the call was sent with, checked; required for `session`/`admin` actions. */
  session?: SessionContext;
  /** The `partnerId` parameter as sent, when it names the partner (kCurrentContext::$partner_id). */
  requestedPartnerId?: unknown;
  /** Mark the state as changed (it is then saved). */
  changed(): void;
}

/** One action: access, parameters as the PHP signature declares them, and what it does. */
export interface ActionDef {
  access: Access;
  params: readonly ParamDecl[];
  run(args: Arguments, ctx: CallContext): unknown;
}

/** Actions keyed `service.action` in lower case (the dispatcher lowercases both). */
export type ActionTable = Record<string, ActionDef>;

/** Epoch ms → Unix seconds. */
export const seconds = (ms: number) => Math.floor(ms / 1000);

/** KalturaSessionType: USER 0, ADMIN 2. */
export const SESSION_TYPE: EnumType = { enum: 'KalturaSessionType', values: [0, 2] };

/** KalturaFilterPager (default page size 30, page 1). */
export const PAGER: ObjectType = {
  object: 'KalturaFilterPager',
  props: { pageSize: { type: 'int' }, pageIndex: { type: 'int' } },
};

/** A list response: the page the pager asks for, and the total (objects null when the total is known to be 0 up front). */
export function listResponse(
  objectType: string,
  items: KalturaObject[] | null,
  pager: Record<string, unknown> | null | undefined,
): KalturaObject {
  if (items === null) return kalturaObject(objectType, { totalCount: 0 });
  const pageSize = Math.min(Math.max(Number(pager?.pageSize ?? 30), 0), 500);
  const pageIndex = Math.max(Number(pager?.pageIndex ?? 1), 1);
  return kalturaObject(objectType, {
    totalCount: items.length,
    objects: items.slice((pageIndex - 1) * pageSize, pageIndex * pageSize),
  });
}

/** A comma-separated `...In` filter value as a list; undefined when not given. */
export function inList(value: unknown): string[] | undefined {
  return typeof value === 'string' && value !== '' ? value.split(',').map((s) => s.trim()) : undefined;
}
