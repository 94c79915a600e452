/**
 * Test helpers for engine tests that wait on real time: the slots' health
 * and a polling wait with a timeout that says what it waited for.
 *
 * @module
 */

import type { EngineControl } from "../engine/control.ts";

/** True when one slot is active and the other is a ready standby. */
export function slotsHealthy(engine: EngineControl): boolean {
  const health = engine.status().slots.map((slot) => slot.health).sort();
  return health[0] === "active" && health[1] === "standby";
}

/** Options of {@linkcode until}. */
export interface UntilOptions {
  /** Give up after this many ms (default 5000). */
  readonly timeoutMs?: number;
  /** Lines appended to the timeout error, e.g. the engine's events so far. */
  readonly context?: readonly string[];
}

/** Poll `condition` every 2 ms until it holds; throws, naming `what`, on timeout. */
export async function until(
  what: string,
  condition: () => boolean,
  options: UntilOptions = {},
): Promise<void> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > (options.timeoutMs ?? 5000)) {
      const context = options.context ?? [];
      throw new Error(
        `timed out waiting until ${what}${context.length > 0 ? `: ${context.join("; ")}` : ""}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
