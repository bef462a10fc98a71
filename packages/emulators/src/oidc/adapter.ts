/**
 * In-memory storage adapter for oidc-provider. Written here (instead of the provider's built-in
 * one) because the emulator needs two things the built-in one does not offer: a hook on device-code
 * polling to answer `slow_down` (RFC 8628 §3.5), and a way for tests to revoke every refresh token.
 */

type Payload = Record<string, unknown> & {
  grantId?: string;
  userCode?: string;
  uid?: string;
  consumed?: number;
};

/** How long an expired device code stays findable, so late polls learn it expired. */
const DEVICE_CODE_GRACE_MS = 10 * 60_000;

interface Entry {
  payload: Payload;
  expiresAt: number | undefined;
}

/** Shared state of all models, so grants can be revoked across them. */
export class EmulatorStore {
  readonly models = new Map<string, Map<string, Entry>>();
  /** Called on every `DeviceCode.find`; may throw an oidc-provider error (slow_down). */
  onDeviceCodePoll: ((id: string, payload: Payload) => void) | undefined;

  model(name: string): Map<string, Entry> {
    let m = this.models.get(name);
    if (!m) {
      m = new Map();
      this.models.set(name, m);
    }
    return m;
  }

  /** Remove every refresh token (what an admin "log out all sessions" does); returns how many. */
  revokeRefreshTokens(): number {
    const m = this.model('RefreshToken');
    const n = m.size;
    m.clear();
    return n;
  }

  /** Make every pending device code expired now (payload and storage alike); returns how many. */
  expireDeviceCodes(): number {
    const now = Date.now();
    let n = 0;
    for (const e of this.model('DeviceCode').values()) {
      if (e.payload.accountId || e.payload.error) continue;
      e.payload.exp = Math.floor(now / 1000) - 1;
      e.expiresAt = now;
      n++;
    }
    return n;
  }

  /** An adapter class bound to this store, in the shape oidc-provider expects. */
  adapterClass() {
    const store = this;
    return class EmulatorAdapter {
      readonly #name: string;
      constructor(name: string) {
        this.#name = name;
      }
      #entries() {
        return store.model(this.#name);
      }
      #live(id: string): Payload | undefined {
        const e = this.#entries().get(id);
        if (!e) return undefined;
        // oidc-provider checks expiry itself, and answers a poll with an expired device code
        // `expired_token` (RFC 8628 §3.5) only if it still finds the code: keep those a while longer.
        const grace = this.#name === 'DeviceCode' ? DEVICE_CODE_GRACE_MS : 0;
        if (e.expiresAt !== undefined && e.expiresAt + grace <= Date.now()) {
          this.#entries().delete(id);
          return undefined;
        }
        return e.payload;
      }
      async upsert(id: string, payload: Payload, expiresIn?: number) {
        this.#entries().set(id, {
          payload: { ...payload },
          expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : undefined,
        });
      }
      async find(id: string) {
        const payload = this.#live(id);
        if (payload && this.#name === 'DeviceCode') store.onDeviceCodePoll?.(id, payload);
        return payload;
      }
      async findByUserCode(userCode: string) {
        for (const [id, e] of this.#entries()) if (e.payload.userCode === userCode) return this.#live(id);
        return undefined;
      }
      async findByUid(uid: string) {
        for (const [id, e] of this.#entries()) if (e.payload.uid === uid) return this.#live(id);
        return undefined;
      }
      async consume(id: string) {
        const e = this.#entries().get(id);
        if (e) e.payload.consumed = Math.floor(Date.now() / 1000);
      }
      async destroy(id: string) {
        this.#entries().delete(id);
      }
      async revokeByGrantId(grantId: string) {
        for (const model of store.models.values()) {
          for (const [id, e] of model) if (e.payload.grantId === grantId) model.delete(id);
        }
      }
    };
  }
}
