/** Kaltura session types as the API sends them (1 is the server's internal widget type). */
export const SessionType = Object.freeze({ USER: 0, WIDGET: 1, ADMIN: 2 } as const);

/** `USER`, `ADMIN`, `WIDGET` or the number as text. */
export function sessionTypeName(type: number | null | undefined): string {
  if (type === 0) return 'USER';
  if (type === 2) return 'ADMIN';
  if (type === 1) return 'WIDGET';
  return type === null || type === undefined ? 'unset' : String(type);
}

/** Parse `USER`/`ADMIN`/`0`/`2` (case-insensitive); undefined when not recognised. */
export function parseSessionType(text: string | number | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (typeof text === 'number') return text === 0 || text === 2 ? text : undefined;
  const t = text.trim().toUpperCase();
  if (t === 'USER' || t === '0') return 0;
  if (t === 'ADMIN' || t === '2') return 2;
  return undefined;
}
