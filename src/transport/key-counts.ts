/**
 * How many of something each API key holds, and in all: the sessions being created (sessions.ts),
 * reserved before they exist, so concurrent initializes cannot overshoot a cap. A key that holds
 * none has no entry.
 */
export class KeyCounts {
  readonly #byKey = new Map<string, number>();
  #total = 0;

  of(keyId: string): number {
    return this.#byKey.get(keyId) ?? 0;
  }

  get total(): number {
    return this.#total;
  }

  add(keyId: string): void {
    this.#byKey.set(keyId, this.of(keyId) + 1);
    this.#total++;
  }

  /** Takes one back; call once for each `add`. */
  remove(keyId: string): void {
    const left = this.of(keyId) - 1;
    if (left > 0) this.#byKey.set(keyId, left);
    else this.#byKey.delete(keyId);
    this.#total--;
  }
}
