/**
 * `chronus monitor`: a status pane for the tmux layout. It asks a running
 * Chronus for its state (`/state`) over OSC a few times a second and redraws
 * the screen: an output level meter, tempo, the notes each instrument holds,
 * slot health and failovers. When no Chronus answers, it says so and keeps
 * trying.
 *
 * @module
 */

import { NoChronusError, sendPhrase } from "./osc_client.ts";
import { DEFAULT_OSC_HOST, DEFAULT_OSC_PORT } from "./osc_server.ts";
import { formatStatus } from "./format_status.ts";
import { untilSignal } from "./signals.ts";
import type { EngineStatus } from "../engine/control.ts";

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

/** A horizontal meter for a linear peak: 40 cells over -60..0 dBFS. */
export function meter(peak: number, cells = 40): string {
  const db = peak > 0 ? 20 * Math.log10(peak) : -Infinity;
  const filled = Math.max(0, Math.min(cells, Math.round(((db + 60) / 60) * cells)));
  return `[${"#".repeat(filled)}${"-".repeat(cells - filled)}] ${
    Number.isFinite(db) ? `${db.toFixed(1).padStart(6)} dBFS` : "silent"
  }`;
}

/** The monitor's view of `state --json` (the parts it draws). */
export interface StateView {
  /** Tempo in bpm. */
  readonly tempo?: number;
  /** The focused instrument. */
  readonly focus?: string;
  /** Each instrument's held notes and mute state, by name. */
  readonly instruments?: Record<
    string,
    { readonly held?: readonly string[]; readonly muted?: boolean }
  >;
  readonly engine?: EngineStatus;
}

/** The lines of one frame from a parsed `state --json` object. */
export function stateLines(state: StateView): string[] {
  const lines: string[] = [];
  const engine = state.engine;
  if (engine !== undefined) lines.push(`level ${meter(engine.outputPeak)}`);
  if (state.tempo !== undefined) {
    lines.push(`tempo ${state.tempo} bpm   focus ${state.focus ?? "?"}`);
  }
  for (const [name, inst] of Object.entries(state.instruments ?? {})) {
    const held = inst.held ?? [];
    lines.push(
      `${name.padEnd(5)} ${inst.muted === true ? "muted " : ""}${
        held.length > 0 ? held.join(" ") : "·"
      }`,
    );
  }
  if (engine !== undefined) lines.push("", ...formatStatus(engine).split("\n"));
  return lines;
}

/** One frame of the monitor: a title line, then the state (or why there is none). */
export async function monitorFrame(host: string, port: number): Promise<string> {
  const title = `chronus monitor  ${host}:${port}  ${new Date().toLocaleTimeString()}`;
  try {
    const reply = await sendPhrase("/state", { host, port, timeoutMs: 500 });
    if (!reply.ok) return [title, "", `error: ${reply.text}`].join("\n");
    return [title, "", ...stateLines(JSON.parse(reply.text) as StateView)].join("\n");
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
