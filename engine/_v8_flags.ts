/**
 * V8 flags for a Chronus process that plays in real time. They must be on
 * the `deno` command line (`--v8-flags=...`): `bin/chronus`, `deno task
 * start` and the real-time benchmarks pass them; a test keeps those in step
 * with this constant.
 *
 * - `--no-memory-reducer`: V8's memory reducer runs incremental
 *   mark-compact GCs in an isolate that allocates little, to hand memory
 *   back. In the audio worker that is exactly the steady state, and a
 *   mark-compact pause there can miss a period.
 * - `--min-semi-space-size=16` (MiB): the FFI glue of the audio callback
 *   allocates a pointer object per call (~40 B, nothing Chronus can avoid),
 *   which fills V8's default young generation in about a minute; 16 MiB
 *   makes that a scavenge (~0.2 ms) every quarter of an hour or so.
 *
 * @module
 */

/** The flags, comma-separated as `--v8-flags=` takes them. */
export const REALTIME_V8_FLAGS = "--no-memory-reducer,--min-semi-space-size=16";
