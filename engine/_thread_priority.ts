/**
 * Scheduling of the calling thread, through libc: real-time (SCHED_FIFO) for
 * the audio thread, and a nice value for a DSP worker warming up, so that a
 * respawn's CPU burst cannot starve the threads that are playing.
 *
 * Linux applies both to the calling thread only (not the whole process),
 * which is what a Deno Worker needs: each call changes the worker's own
 * thread. Both fail quietly (returning false) without the privilege
 * (CAP_SYS_NICE, or an RLIMIT_RTPRIO / RLIMIT_NICE allowance) or off Linux.
 *
 * @module
 */

const SYMBOLS = {
  sched_setscheduler: { parameters: ["i32", "i32", "buffer"], result: "i32" },
  setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
  getpriority: { parameters: ["i32", "u32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const SCHED_FIFO = 1;
const PRIO_PROCESS = 0;

function withLibc<T>(fallback: T, use: (lib: Deno.DynamicLibrary<typeof SYMBOLS>) => T): T {
  if (Deno.build.os !== "linux") return fallback;
  let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  try {
    lib = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch {
    return fallback;
  }
  try {
    return use(lib);
  } finally {
    lib.close();
  }
}

/**
 * Make the calling thread real-time (SCHED_FIFO at `priority`, 1–99).
 * Returns false when not permitted; the thread then keeps its policy.
 */
export function makeThreadRealtime(priority: number): boolean {
  const param = new Int32Array([Math.max(1, Math.min(99, Math.trunc(priority)))]);
  return withLibc(false, (lib) => lib.symbols.sched_setscheduler(0, SCHED_FIFO, param) === 0);
}

/**
 * Set the calling thread's nice value (-20 highest … 19 lowest). Returns
 * false when not permitted (raising priority needs CAP_SYS_NICE).
 */
export function setThreadNice(nice: number): boolean {
  const value = Math.max(-20, Math.min(19, Math.trunc(nice)));
  return withLibc(false, (lib) => lib.symbols.setpriority(PRIO_PROCESS, 0, value) === 0);
}

/** The calling thread's nice value (0 when it cannot be read). */
export function threadNice(): number {
  return withLibc(0, (lib) => lib.symbols.getpriority(PRIO_PROCESS, 0));
}

/**
 * Run `work` with the calling thread at nice value `nice` (normally 19, the
 * lowest priority), then return to the thread's previous nice value. When the
 * thread could not come back (unprivileged threads may not raise their
 * priority), `work` runs at the current priority instead.
 */
export function runNiced<T>(nice: number, work: () => T): T {
  const previous = threadNice();
  // Probe: a thread that may go one step above its priority may come back.
  const mayReturn = setThreadNice(previous - 1) && setThreadNice(previous);
  if (!mayReturn || !setThreadNice(nice)) return work();
  try {
    return work();
  } finally {
    setThreadNice(previous);
  }
}
