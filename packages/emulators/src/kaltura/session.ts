/** The session service (api_v3/services/SessionService.php): start, startWidgetSession, get, end. */
import { errors } from './api-error.js';
import { type ActionTable, SESSION_TYPE } from './call.js';
import { kalturaObject } from './objects.js';

/** The partner's KS lifetime cap applied to `desired` (kSessionUtils::calculateExpiry, createKSessionNoValidations). */
function capped(desired: number, max: number): number {
  return max && max < desired ? max : desired;
}

/** The session service. */
export const sessionActions: ActionTable = {
  'session.start': {
    access: 'none',
    params: [
      { name: 'secret', type: 'string' },
      { name: 'userId', type: 'string', default: '' },
      { name: 'type', type: SESSION_TYPE, default: 0 },
      { name: 'partnerId', type: 'int', default: null },
      { name: 'expiry', type: 'int', default: 86400 },
      { name: 'privileges', type: 'string', default: null },
    ],
    run(a, ctx) {
      const { partner } = ctx.state;
      const privileges = (a.privileges as string | null) ?? '';
      // kSessionUtils::startKSession checks the privileges' roles before the secret.
      ctx.sessions.validatePrivileges(privileges);
      const type = a.type as number;
      const secret = a.secret as string;
      // Partner::validateSecret: an admin secret for any type, the user secret for USER only.
      const valid =
        a.partnerId === partner.id &&
        (secret === partner.adminSecret || (type !== 2 && secret === partner.secret));
      if (!valid) throw errors.startSession(a.partnerId as number | null);
      const expiry = capped(a.expiry as number, partner.ksMaxExpiryInSeconds);
      return ctx.sessions.issue(a.userId as string, type, expiry, privileges).ks;
    },
  },
  'session.startwidgetsession': {
    access: 'none',
    params: [
      { name: 'widgetId', type: 'string' },
      { name: 'expiry', type: 'int', default: 86400 },
    ],
    run(a, ctx) {
      const { partner } = ctx.state;
      const widgetId = a.widgetId as string;
      // The one widget a partner always has: `_<partnerId>` (Partner::getDefaultWidgetId).
      if (widgetId !== `_${partner.id}`) throw errors.invalidWidget(widgetId);
      const expiry = capped(a.expiry as number, partner.ksMaxExpiryInSeconds);
      const { ks } = ctx.sessions.issue('0', 0, expiry, 'view:*,widget:1');
      return kalturaObject('KalturaStartWidgetSessionResponse', { partnerId: partner.id, ks, userId: 0 });
    },
  },
  'session.get': {
    access: 'session',
    params: [{ name: 'session', type: 'string', default: null }],
    run(a, ctx) {
      const given = a.session as string | null;
      let d = ctx.session!.decoded;
      if (given && given !== '0') {
        // ks::fromSecureString throws a plain Exception: the front controller makes it an internal error.
        try {
          d = ctx.sessions.parse(given).decoded;
        } catch {
          throw errors.internal();
        }
      }
      // The fields come from the parsed KS, where PHP holds them as strings.
      return kalturaObject('KalturaSessionInfo', {
        sessionType: String(d.type),
        partnerId: String(d.partnerId),
        userId: d.userId,
        expiry: String(d.validUntil),
        privileges: d.privileges,
      });
    },
  },
  'session.end': {
    access: 'session',
    params: [],
    run(_a, ctx) {
      ctx.sessions.end(ctx.session!.ks);
      ctx.changed();
      return null;
    },
  },
};
