/**
 * The two libc functions the audio callback uses to write the device buffer
 * without allocating: `memcpy` and `memset`, with addresses as plain numbers.
 *
 * @module
 */

const SYMBOLS = {
  memcpy: { parameters: ["usize", "usize", "usize"], result: "void" },
  memset: { parameters: ["usize", "i32", "usize"], result: "void" },
  sched_setscheduler: { parameters: ["i32", "i32", "buffer"], result: "i32" },
  setpriority: { parameters: ["i32", "u32", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Linux `SCHED_FIFO`. */
const SCHED_FIFO = 1;
/** `PRIO_PROCESS`: with who = 0, Linux applies it to the calling thread. */
const PRIO_PROCESS = 0;

/**
 * Give the calling thread (an FFI call runs on the isolate's own thread)
 * real-time FIFO priority. Returns false, changing nothing, when not allowed
 * (not root, no RLIMIT_RTPRIO) or not on Linux.
 */
export function setRealtimePriority(priority: number): boolean {
  try {
    const libc = openLibc();
    try {
      return libc.symbols.sched_setscheduler(0, SCHED_FIFO, new Int32Array([priority])) === 0;
    } finally {
      libc.close();
    }
  } catch {
    return false;
  }
}

/**
 * Set the calling thread's nice value (negative = more CPU). Returns false,
 * changing nothing, when not allowed.
 */
export function setThreadNice(nice: number): boolean {
  try {
    const libc = openLibc();
    try {
      return libc.symbols.setpriority(PRIO_PROCESS, 0, nice) === 0;
    } finally {
      libc.close();
    }
  } catch {
    return false;
  }
}

/** libc's `memcpy`/`memset` taking addresses as numbers. */
export type LibcSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** Open libc. Throws when it cannot be found. */
export function openLibc(): Deno.DynamicLibrary<typeof SYMBOLS> {
  return Deno.dlopen("libc.so.6", SYMBOLS);
}

/** Address of the first byte of a typed array's memory, as a number. */
export function addressOf(view: ArrayBufferView): number {
  const ptr = Deno.UnsafePointer.of(view);
  return Number(Deno.UnsafePointer.value(ptr));
}
