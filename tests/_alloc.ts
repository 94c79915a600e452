/**
 * Test helper: measure what a render loop allocates with V8's sampling heap
 * profiler (through `node:inspector`).
 *
 * @module
 */

import { Session } from "node:inspector";

async function oneSession(fn: () => void, frameName: string): Promise<number> {
  const session = new Session();
  session.connect();
  const post = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve, reject) =>
      session.post(method, params, (err, res) => err ? reject(err) : resolve(res))
    );
  try {
    await post("HeapProfiler.enable");
    await post("HeapProfiler.startSampling", {
      samplingInterval: 64,
      includeObjectsCollectedByMinorGC: true,
      includeObjectsCollectedByMajorGC: true,
    });
    fn();
    const { profile } = await post("HeapProfiler.stopSampling") as {
      profile: { head: SamplingNode };
    };
    let bytes = 0;
    const walk = (node: SamplingNode, inside: boolean): void => {
      const here = inside || node.callFrame.functionName === frameName;
      if (here) bytes += node.selfSize;
      for (const child of node.children) walk(child, here);
    };
    walk(profile.head, false);
    return bytes;
  } finally {
    await post("HeapProfiler.disable");
    session.disconnect();
  }
}

/** A node of a V8 sampling heap profile. */
interface SamplingNode {
  readonly callFrame: { readonly functionName: string };
  readonly selfSize: number;
  readonly children: readonly SamplingNode[];
}

/** Options of {@linkcode sampledAllocation}. */
export interface SamplingOptions {
  /**
   * Sampling sessions at most; the least figure is returned. A session can
   * catch V8 tiering the code up (or re-optimising it) and count what that
   * transition allocates, which a steady loop does not: a real per-call
   * allocation shows in every session. Default 1.
   */
  readonly sessions?: number;
  /** Stop at the first session that measures fewer bytes than this; default 1. */
  readonly below?: number;
}

/**
 * Bytes allocated while `fn` runs by frames under a function named
 * `frameName` (the caller's loop, so test scaffolding is not counted), from
 * V8's sampling heap profiler sampling every 64 bytes on average.
 *
 * Warm the code up first (thousands of calls) so V8 has optimised it; pass
 * whole-number arguments from the loop (doubles crossing a call are boxed).
 *
 * @example
 * ```ts ignore
 * const bytes = await sampledAllocation(() => renderMany(osc, block, 100000), "renderMany");
 * assert(bytes < 64 * 1024);
 * ```
 */
export async function sampledAllocation(
  fn: () => void,
  frameName: string,
  options: SamplingOptions = {},
): Promise<number> {
  const sessions = options.sessions ?? 1;
  const below = options.below ?? 1;
  let least = Infinity;
  for (let s = 0; s < sessions && least >= below; s++) {
    least = Math.min(least, await oneSession(fn, frameName));
  }
  return least;
}
