/**
 * Benchmarks only: answer a heap probe (`I.HeapProbe`) from inside an
 * isolate. See `Engine.workerHeaps`.
 *
 * @module
 */

/** V8's `gc()`, present only under `--v8-flags=--expose-gc`. */
type ExposedGc = (options: { type: "minor" | "major" }) => void;

/**
 * Write this isolate's heap use into `floats[index]`. When V8's `gc` is
 * exposed, first run a minor (young-generation) GC: it takes well under a
 * millisecond, leaves the young generation empty, and shows up in
 * `--trace-gc` output as "testing", so a benchmark can count this
 * isolate's own GCs between two probes. Allocates a little.
 */
export function answerHeapProbe(floats: Float64Array, index: number): void {
  (globalThis as { gc?: ExposedGc }).gc?.({ type: "minor" });
  floats[index] = Deno.memoryUsage().heapUsed;
}
