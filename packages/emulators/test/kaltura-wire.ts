/** Raw api_v3 calls to the Kaltura emulator, so the answers are checked as they travel (no client in between). */
import type { KalturaEmulator } from '@tokensmith/emulators/internal/kaltura/server.js';
import * as kaltura from 'tokensmith/internal/kaltura/index.js';

/** One raw answer. */
export interface RawAnswer {
  status: number;
  contentType: string | null;
  text: string;
}

/** POST `body` to `path` of the emulator, JSON unless a string body and its type are given. */
export async function post(
  emu: KalturaEmulator,
  path: string,
  body: Record<string, unknown> | string,
  contentType = 'application/json',
): Promise<RawAnswer> {
  const res = await fetch(`${emu.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

/** `service.action` with `params` and `format: 1`, parsed from JSON. */
export async function api(
  emu: KalturaEmulator,
  service: string,
  action: string,
  params: Record<string, unknown> = {},
): Promise<unknown> {
  const answer = await post(emu, `/api_v3/service/${service}/action/${action}`, { ...params, format: 1 });
  return JSON.parse(answer.text) as unknown;
}

/** An ADMIN KS of the emulator's partner, made locally (the server accepts it). */
export function adminKs(emu: KalturaEmulator, privileges = ''): string {
  return kaltura.ks.encode({ adminSecret: emu.adminSecret, partnerId: emu.partnerId, type: 2, privileges });
}

/** A USER KS of the emulator's partner. */
export function userKs(emu: KalturaEmulator, userId = 'someone'): string {
  return kaltura.ks.encode({ adminSecret: emu.adminSecret, partnerId: emu.partnerId, type: 0, userId });
}

/** The exception object the server sends for `code` (HTTP 200, `args` `[]` when empty). */
export function exception(code: string, message: string, args: Record<string, string> = {}) {
  return {
    code,
    message,
    objectType: 'KalturaAPIException',
    args: Object.keys(args).length ? args : [],
  };
}
