/**
 * Waiting for the user to stop a long-running command (Ctrl-C or a kill).
 *
 * @module
 */

/**
 * Resolves at the first SIGINT or SIGTERM, then stops listening for both.
 *
 * @example
 * ```ts ignore
 * import { untilSignal } from "./signals.ts";
 * await untilSignal(); // Ctrl-C
 * ```
 */
export function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
      resolve();
    };
    Deno.addSignalListener("SIGINT", stop);
    Deno.addSignalListener("SIGTERM", stop);
  });
}
