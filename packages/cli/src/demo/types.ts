/** One demo step's outcome. */
export interface DemoResult {
  step: string;
  ok: boolean;
  /** What happened, secret-free (token requests, user, expiry...). */
  detail: string;
  ms: number;
}

/** A demo step: resolves with its detail line, or throws. */
export type DemoStep = { name: string; run: () => Promise<string> };
