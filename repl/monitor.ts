/**
 * `chronus monitor`: a status pane for the tmux layout. It asks a running
 * Chronus for `/status` over OSC a few times a second and redraws the
 * screen; when no Chronus answers, it says so and keeps trying.
 *
 * @module
 */

import { NoChronusError, sendPhrase } from "./osc_client.ts";
import { DEFAULT_OSC_HOST, DEFAULT_OSC_PORT } from "./osc_server.ts";

/** Options of {@linkcode runMonitor}. */
export interface MonitorOptions {
  /** Chronus's OSC address; default 127.0.0.1. */
  readonly host?: string;
  /** Chronus's OSC port; default 57120. */
  readonly port?: number;
  /** Time between refreshes, in ms; default 250. */
  readonly intervalMs?: number;
  /** Stop after this many refreshes (tests); default forever. */
  readonly frames?: number;
  /** Where each frame goes; default: clear the terminal and print it. */
  readonly draw?: (frame: string) => void;
  /** Resolves when the monitor should stop; default: SIGINT or SIGTERM. */
  readonly stop?: Promise<void>;
}

/** Clear the screen, cursor home, then the frame. */
function drawOnTerminal(frame: string): void {
  Deno.stdout.writeSync(new TextEncoder().encode(`\x1b[H\x1b[2J${frame}\n`));
}

/** One frame of the monitor: a title line, then the status lines (or why there are none). */
export async function monitorFrame(host: string, port: number): Promise<string> {
  const title = `chronus monitor  ${host}:${port}  ${new Date().toLocaleTimeString()}`;
  try {
    const reply = await sendPhrase("/status", { host, port, timeoutMs: 500 });
    const lines = reply.text.split("\n").slice(1).map((line) => line.trimStart());
    return [title, "", ...(reply.ok ? lines : [`error: ${reply.text}`])].join("\n");
  } catch (error) {
    const why = error instanceof NoChronusError ? "waiting for Chronus…" : String(error);
    return [title, "", why].join("\n");
  }
}

/**
 * Refresh the status until stopped.
 *
 * @example
 * ```ts ignore
 * import { runMonitor } from "./monitor.ts";
 * await runMonitor({ port: 57120 }); // Ctrl-C to leave
 * ```
 */
export async function runMonitor(options: MonitorOptions = {}): Promise<void> {
  const host = options.host ?? DEFAULT_OSC_HOST;
  const port = options.port ?? DEFAULT_OSC_PORT;
  const interval = options.intervalMs ?? 250;
  const draw = options.draw ?? drawOnTerminal;
  let stopped = false;
  const stop = options.stop ?? untilSignal();
  stop.then(() => stopped = true);
  for (let frame = 0; !stopped && frame < (options.frames ?? Infinity); frame++) {
    draw(await monitorFrame(host, port));
    await Promise.race([stop, new Promise((resolve) => setTimeout(resolve, interval))]);
  }
}

function untilSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      Deno.removeSignalListener("SIGINT", done);
      Deno.removeSignalListener("SIGTERM", done);
      resolve();
    };
    Deno.addSignalListener("SIGINT", done);
    Deno.addSignalListener("SIGTERM", done);
  });
}
