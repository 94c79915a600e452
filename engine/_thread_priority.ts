/**
 * Real-time (SCHED_FIFO) scheduling for the calling thread, through libc, so
 * that a respawning DSP worker's CPU burst cannot delay the audio callback.
 *
 * Linux applies it to the calling thread only (not the whole process), which
 * is what a Deno Worker needs: the call changes the worker's own thread. It
 * fails quietly (returning false) without the privilege (CAP_SYS_NICE or an
 * RLIMIT_RTPRIO allowance) or off Linux.
 *
 * @module
 */

const SYMBOLS = {
  sched_setscheduler: { parameters: ["i32", "i32", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const SCHED_FIFO = 1;

/**
 * Make the calling thread real-time (SCHED_FIFO at `priority`, 1–99).
 * Returns false when not permitted; the thread then keeps its policy.
 */
export function makeThreadRealtime(priority: number): boolean {
  if (Deno.build.os !== "linux") return false;
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch {
    return false;
  }
  try {
    const param = new Int32Array([Math.max(1, Math.min(99, Math.trunc(priority)))]);
    return lib.symbols.sched_setscheduler(0, SCHED_FIFO, param) === 0;
  } finally {
    lib.close();
  }
}
