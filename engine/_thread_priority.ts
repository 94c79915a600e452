/**
 * Scheduling of the calling thread, through libc: real-time (SCHED_FIFO) for
 * the audio thread, so a respawning DSP worker's CPU burst cannot delay the
 * callback; idle (SCHED_IDLE) for a respawning DSP worker's warm-up, so it
 * cannot delay the healthy slot's rendering either.
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

const SCHED_OTHER = 0;
const SCHED_FIFO = 1;
const SCHED_IDLE = 5;

function setScheduler(policy: number, priority: number): boolean {
  if (Deno.build.os !== "linux") return false;
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch {
    return false;
  }
  try {
    return lib.symbols.sched_setscheduler(0, policy, new Int32Array([priority])) === 0;
  } finally {
    lib.close();
  }
}

/**
 * Make the calling thread real-time (SCHED_FIFO at `priority`, 1–99).
 * Returns false when not permitted; the thread then keeps its policy.
 */
export function makeThreadRealtime(priority: number): boolean {
  return setScheduler(SCHED_FIFO, Math.max(1, Math.min(99, Math.trunc(priority))));
}

/** Give the calling thread normal scheduling (SCHED_OTHER). False when refused. */
export function makeThreadNormal(): boolean {
  return setScheduler(SCHED_OTHER, 0);
}

/**
 * Run `work` on the calling thread at idle priority (SCHED_IDLE: only CPU
 * time nothing else wants), then return to normal scheduling. Only when the
 * way back is permitted (leaving SCHED_IDLE needs CAP_SYS_NICE, probed by a
 * brief switch to SCHED_FIFO): otherwise `work` runs at normal priority.
 * Returns true when it ran idle.
 */
export function withIdlePriority(work: () => void): boolean {
  const privileged = makeThreadRealtime(1) && makeThreadNormal();
  const idle = privileged && setScheduler(SCHED_IDLE, 0);
  try {
    work();
  } finally {
    if (idle) makeThreadNormal();
  }
  return idle;
}
