/**
 * Per-source rate limits for non-human clients (OSC programs, agents): a
 * token bucket per source. Excess lines are refused with an error; the
 * engine never sees them, so the sound is unaffected.
 *
 * @module
 */

/** Options of {@linkcode RateLimiter}. */
export interface RateLimitOptions {
  /** Lines per second each source may send on average; default 50. */
  readonly perSecond?: number;
  /** Lines a source may send at once after a quiet spell; default 2 × perSecond. */
  readonly burst?: number;
  /** Sources remembered at most (oldest forgotten first); default 1024. */
  readonly maxSources?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets keyed by source.
 *
 * @example
 * ```ts
 * import { RateLimiter } from "./rate_limit.ts";
 * const limiter = new RateLimiter({ perSecond: 2, burst: 2 });
 * console.log(limiter.allow("osc:127.0.0.1:9000", 0), limiter.allow("osc:127.0.0.1:9000", 0),
 *   limiter.allow("osc:127.0.0.1:9000", 0)); // true true false
 * ```
 */
export class RateLimiter {
  /** Average lines per second per source. */
  readonly perSecond: number;
  /** Largest burst per source. */
  readonly burst: number;
  /** Lines refused so far. */
  refused = 0;
  readonly #maxSources: number;
  readonly #buckets = new Map<string, Bucket>();

  /** Limit every source to `options.perSecond` lines per second. */
  constructor(options: RateLimitOptions = {}) {
    const perSecond = options.perSecond ?? 50;
    if (!(perSecond > 0 && Number.isFinite(perSecond))) {
      throw new RangeError(
        `rate limit must be a positive number of lines per second, got ${perSecond}`,
      );
    }
    this.perSecond = perSecond;
    this.burst = Math.max(1, options.burst ?? 2 * perSecond);
    this.#maxSources = options.maxSources ?? 1024;
  }

  /** May `source` send one more line at `nowMs`? Takes a token when it may. */
  allow(source: string, nowMs: number = performance.now()): boolean {
    let bucket = this.#buckets.get(source);
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxSources) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
      bucket = { tokens: this.burst, at: nowMs };
      this.#buckets.set(source, bucket);
    }
    const refill = ((nowMs - bucket.at) / 1000) * this.perSecond;
    bucket.tokens = Math.min(this.burst, bucket.tokens + (refill > 0 ? refill : 0));
    bucket.at = nowMs;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return true;
    }
    this.refused++;
    return false;
  }
}

/** A line handler keyed by source, like the OSC server's. */
export type SourcedHandler = (line: string, source: string) => { ok: boolean; text: string };

/**
 * `handle`, refusing lines beyond `limiter`'s rate per source with one error
 * line (the refused line never reaches the engine).
 */
export function rateLimited(handle: SourcedHandler, limiter: RateLimiter): SourcedHandler {
  return (line, source) => {
    if (limiter.allow(source)) return handle(line, source);
    return {
      ok: false,
      text:
        `rate limit: at most ${limiter.perSecond} lines per second from ${source}; line dropped`,
    };
  };
}
