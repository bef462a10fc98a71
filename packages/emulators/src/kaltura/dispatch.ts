/**
 * One call, in the order KalturaDispatcher::dispatch takes its steps: the service and action must
 * exist; a KS sent with the call must parse (kCurrentContext::initKsPartnerUser); the arguments are
 * built (KalturaRequestDeserializer); the KS must be valid, a requested partner must exist and a
 * `setrole` must name a role (kPermissionManager::init); the action must be permitted
 * (KalturaBaseService::initService); then it runs.
 */

import { actions, services } from './actions.js';
import { errors } from './api-error.js';
import { buildArguments } from './arguments.js';
import { type CallContext, seconds } from './call.js';
import type { Params } from './params.js';
import type { RequestFacts, Sessions } from './sessions.js';
import type { EmulatorState } from './state.js';

/** What the dispatcher counts. */
export interface DispatchStats {
  calls: Record<string, number>;
  errors: Record<string, number>;
  ksIssued: number;
}

/** What the dispatcher needs from the server. */
export interface DispatchDeps {
  state: EmulatorState;
  sessions: Sessions;
  now: () => number;
  stats: DispatchStats;
  /** Called after an action that changed the state. */
  save(): Promise<void>;
}

/** PHP truthiness of a request value. */
function truthy(value: unknown): boolean {
  return !(
    value === undefined ||
    value === null ||
    value === '' ||
    value === '0' ||
    value === 0 ||
    value === false
  );
}

/**
 * The partner a call asks for (`p`, else `partnerId`), as KalturaDispatcher::dispatch and
 * kCurrentContext::initKsPartnerUser read it: a falsy value asks for none, and with a KS so does 0.
 */
function requestedPartner(params: Params, hasKs: boolean): unknown {
  for (const name of ['p', 'partnerId']) {
    const value = params[name];
    if (truthy(value) || (hasKs && value !== undefined && value !== null)) {
      return Number(value) === 0 && hasKs ? undefined : value;
    }
  }
  return undefined;
}

/** Run one call; an API exception is thrown as an `ApiError`. */
export async function dispatch(deps: DispatchDeps, params: Params, facts: RequestFacts): Promise<unknown> {
  const { state, sessions, stats } = deps;
  if (!truthy(params.service)) throw errors.noServiceGiven();
  const service = String(params.service).toLowerCase();
  const action = truthy(params.action) ? String(params.action).toLowerCase() : '';
  const key = `${service}.${action}`;
  stats.calls[key] = (stats.calls[key] ?? 0) + 1;
  if (!services.has(service)) throw errors.noService(service);
  if (!action) throw errors.noActionGiven();
  const def = actions[key];
  if (!def) throw errors.noAction(action, service);

  const ks = typeof params.ks === 'string' ? params.ks : truthy(params.ks) ? String(params.ks) : '';
  const session = ks ? sessions.parseForCall(ks) : undefined;
  const partner = requestedPartner(params, !!session);
  const now = deps.now();
  const args = buildArguments(def.params, params, seconds(now));
  if (session) sessions.validate(session, facts);
  // kPermissionManager::initPartnerUserObjects: a partner that does not exist is PARTNER_BLOCKED.
  if (partner !== undefined && String(partner).trim() !== String(state.partner.id))
    throw errors.partnerBlocked();
  if (session) sessions.checkRoles(session);
  if (def.access !== 'none') {
    if (!session) throw errors.missingKs();
    // ks::isAdmin: type >= 2.
    if (def.access === 'admin' && session.decoded.type < 2) throw errors.serviceForbidden(service, action);
  }

  let dirty = false;
  const ctx: CallContext = {
    state,
    sessions,
    now,
    session,
    requestedPartnerId: partner,
    changed: () => {
      dirty = true;
    },
  };
  const before = sessions.issued;
  try {
    return def.run(args, ctx);
  } finally {
    stats.ksIssued += sessions.issued - before;
    if (dirty) await deps.save();
  }
}
