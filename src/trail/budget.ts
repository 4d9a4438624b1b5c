// LookupEvents allows 2 calls a second per account and region, for every
// caller of that account-region together. The sweep is the only caller
// (attribution reads what it stored); its calls take their turns from one
// budget per account-region, across a cycle's pages, backlog and recheck and
// across cycles. A call waits for its turn instead of being throttled:
// a ThrottlingException costs a retry and, past the SDK's budget, a sweep.

/** What the budget needs from outside. */
export interface RateBudgetOptions {
  /** Calls allowed in any window of `windowMs` per key (AWS: 2 a second). */
  perWindow: number;
  /**
   * The window in ms. AWS counts calls in a second as they arrive, after
   * network latency; a window a little over a second (default 1100 ms) keeps
   * two calls that left 1000 ms apart from arriving closer together.
   */
  windowMs?: number;
  /** Current time in ms (the app's clock). */
  now: () => number;
  /** Waits `ms` (real time; tests pass one that moves their fake clock). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Per-key sliding-window pacing: at most perWindow calls per window, per key. */
export class RateBudget {
  private readonly taken = new Map<string, number[]>();
  private readonly windowMs: number;

  constructor(private readonly opts: RateBudgetOptions) {
    this.windowMs = opts.windowMs ?? 1100;
  }

  /** Resolves when a call for `key` (e.g. "account/region") may be made; counts it. */
  async take(key: string, signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("aborted");
      const now = this.opts.now();
      const recent = (this.taken.get(key) ?? []).filter((t) => t > now - this.windowMs);
      if (recent.length < this.opts.perWindow) {
        recent.push(now);
        this.taken.set(key, recent);
        return;
      }
      this.taken.set(key, recent);
      // The oldest call in the window leaves it at this time; then try again
      // (another caller may have taken the turn meanwhile).
      await this.opts.sleep(Math.max(1, (recent[0] as number) + this.windowMs - now), signal);
    }
  }
}
