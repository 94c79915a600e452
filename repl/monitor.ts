/**
 * `chronus monitor`: a status pane for the tmux layout. About 20 times a
 * second it asks a running Chronus over OSC for its newest output samples
 * (`/chronus/scope`, see `osc_scope.ts`), and ten times a second for its
 * state (`/state`), then redraws: an output level meter, tempo with the beat
 * within the bar, a text oscilloscope, a spectrum, the notes each instrument
 * holds, slot health and failovers. When no Chronus answers, it says so and
 * keeps trying.
 *
 * Everything drawn comes from pure functions ({@linkcode monitorLines},
 * {@linkcode stateLines}, {@linkcode beatPosition}, and `scopeText` /
 * `spectrumText` in their own files); only {@linkcode runMonitor} talks to
 * the network and the terminal.
 *
 * @module
 */

import { ChronusConnection, NoChronusError } from "./osc_client.ts";
import { DEFAULT_OSC_HOST, DEFAULT_OSC_PORT } from "./osc_server.ts";
import { DEFAULT_SCOPE_FRAMES, type ScopeData } from "./osc_scope.ts";
import { formatStatus } from "./format_status.ts";
import { untilSignal } from "./signals.ts";
import { SCOPE_COLS, SCOPE_ROWS, scopeText } from "./scope_text.ts";
import {
  SPECTRUM_FLOOR_DB,
  SPECTRUM_MAX_HZ,
  SPECTRUM_MIN_HZ,
  spectrumAxis,
  spectrumText,
} from "./spectrum_text.ts";
import type { EngineStatus } from "../engine/control.ts";

/** Time between refreshes when not told, in ms (20 a second). */
export const MONITOR_INTERVAL_MS = 50;
/** Time between two `/state` queries when not told, in ms (the scope is asked every refresh). */
export const MONITOR_STATE_MS = 100;
/** How long each query waits for its reply, in ms. */
const QUERY_TIMEOUT_MS = 500;
/** Spectrum rows in the default layout. */
const SPECTRUM_ROWS = 6;
/** Beats in a bar, for the beat indicator. */
const BEATS_PER_BAR = 4;

/** Options of {@linkcode runMonitor}. */
export interface MonitorOptions {
  /** Chronus's OSC address; default 127.0.0.1. */
  readonly host?: string;
  /** Chronus's OSC port; default 57120. */
  readonly port?: number;
  /** Time between refreshes, in ms; default {@linkcode MONITOR_INTERVAL_MS} (50). */
  readonly intervalMs?: number;
  /** Time between `/state` queries, in ms; default {@linkcode MONITOR_STATE_MS} (100). */
  readonly stateMs?: number;
  /** Stop after this many refreshes (tests); default forever. */
  readonly frames?: number;
  /**
   * Where each frame goes; default: redraw the terminal in place, the frame
   * cut to its size.
   */
  readonly draw?: (frame: string) => void;
  /** Resolves when the monitor should stop; default: SIGINT or SIGTERM. */
  readonly stop?: Promise<void>;
  /** Layout; default {@linkcode MonitorLayout}'s, the width fitted to the terminal. */
  readonly layout?: MonitorLayout;
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
  /** The engine's status. */
  readonly engine?: EngineStatus;
}

/** Where the output is within the bar, from {@linkcode beatPosition}. */
export interface BeatPosition {
  /** Bar number, counting from 1 at frame 0. */
  readonly bar: number;
  /** Beat within the bar, 1 to beats per bar. */
  readonly beat: number;
  /** How far into the beat, 0 (on it) to just under 1. */
  readonly phase: number;
}

/** Options of {@linkcode beatPosition}. */
export interface BeatOptions {
  /** Sample rate in Hz. */
  readonly sampleRate: number;
  /** Tempo in beats per minute. */
  readonly tempo: number;
  /** Beats in a bar; default 4. */
  readonly beatsPerBar?: number;
}

/**
 * Bar and beat at engine frame `frame`, counting beats at `tempo` from frame 0
 * (when the engine started); undefined when the tempo or rate is not a
 * positive number. The engine keeps no tempo of its own, so after a tempo
 * change the count continues as if the new tempo had always held.
 *
 * @example
 * ```ts
 * import { beatPosition } from "./monitor.ts";
 * console.log(beatPosition(120000, { sampleRate: 48000, tempo: 120 }));
 * // { bar: 2, beat: 2, phase: 0 }  (2.5 s at 120 bpm: the 6th beat)
 * ```
 */
export function beatPosition(frame: number, options: BeatOptions): BeatPosition | undefined {
  const { sampleRate, tempo } = options;
  const perBar = options.beatsPerBar ?? BEATS_PER_BAR;
  if (!(sampleRate > 0 && tempo > 0 && perBar >= 1 && frame >= 0)) return undefined;
  const beats = (frame / sampleRate) * (tempo / 60);
  const whole = Math.floor(beats);
  return {
    bar: Math.floor(whole / perBar) + 1,
    beat: (whole % perBar) + 1,
    phase: beats - whole,
  };
}

/**
 * The beat indicator: `bar 12 beat 3  ○ ○ ● ○`, the current beat filled;
 * in its first quarter (the click) it is `◉`, so the pulse is seen.
 */
export function beatText(position: BeatPosition, beatsPerBar = BEATS_PER_BAR): string {
  const marks = Array.from({ length: beatsPerBar }, (_, i) => {
    if (i + 1 !== position.beat) return "○";
    return position.phase < 0.25 ? "◉" : "●";
  });
  return `bar ${position.bar} beat ${position.beat}  ${marks.join(" ")}`;
}

function levelLines(state: StateView): string[] {
  return state.engine === undefined ? [] : [`level ${meter(state.engine.outputPeak)}`];
}

function tempoLines(state: StateView, beat?: string): string[] {
  if (state.tempo === undefined) return [];
  const middle = beat === undefined ? "" : `${beat}   `;
  return [`tempo ${state.tempo} bpm   ${middle}focus ${state.focus ?? "?"}`];
}

function instrumentLines(state: StateView): string[] {
  return Object.entries(state.instruments ?? {}).map(([name, inst]) => {
    const held = inst.held ?? [];
    return `${name.padEnd(5)} ${inst.muted === true ? "muted " : ""}${
      held.length > 0 ? held.join(" ") : "·"
    }`;
  });
}

function statusLines(state: StateView): string[] {
  return state.engine === undefined ? [] : ["", ...formatStatus(state.engine).split("\n")];
}

/** The lines of one frame from a parsed `state --json` object. */
export function stateLines(state: StateView): string[] {
  return [
    ...levelLines(state),
    ...tempoLines(state),
    ...instrumentLines(state),
    ...statusLines(state),
  ];
}

/** Sizes of the monitor's drawings. */
export interface MonitorLayout {
  /** Width of the scope and the spectrum, in characters; default 64. */
  readonly cols?: number;
  /** Scope height in characters (4 dots each); default 8. */
  readonly scopeRows?: number;
  /** Spectrum height in characters (8 steps each); default 6. */
  readonly spectrumRows?: number;
  /** Beats in a bar, for the beat indicator; default 4. */
  readonly beatsPerBar?: number;
  /**
   * Rows the body may fill (a short pane): the scope and the spectrum
   * shrink to fit below the text, and are left out when fewer than
   * {@linkcode MIN_PLOT_ROWS} rows remain; default: no limit.
   */
  readonly rows?: number;
}

/** Fewest rows for the scope and spectrum section (headers, axis and 2 + 2 rows of plot). */
export const MIN_PLOT_ROWS = 8;

/**
 * `layout` with the scope and spectrum heights fitted into `rows` rows
 * (their headers, the axis and the blank line before them included), the
 * scope taking the larger share; undefined when they do not fit.
 */
function plotLayout(layout: MonitorLayout, rows: number): MonitorLayout | undefined {
  const scopeRows = layout.scopeRows ?? SCOPE_ROWS;
  const spectrumRows = layout.spectrumRows ?? SPECTRUM_ROWS;
  const fixed = 4; // blank, scope header, spectrum header, axis
  if (rows >= fixed + scopeRows + spectrumRows) return layout;
  if (rows < MIN_PLOT_ROWS) return undefined;
  const plot = rows - fixed;
  const spectrum = Math.max(2, Math.floor((plot * spectrumRows) / (scopeRows + spectrumRows)));
  return { ...layout, scopeRows: plot - spectrum, spectrumRows: spectrum };
}

/** What one frame of the monitor shows. */
export interface MonitorView {
  /** The last `/state` answer, if any. */
  readonly state?: StateView;
  /** The newest output samples, if Chronus sent them. */
  readonly scope?: ScopeData;
  /** Why something is missing, shown in place of it. */
  readonly problem?: string;
}

function scopeLines(scope: ScopeData, layout: MonitorLayout): string[] {
  const cols = layout.cols ?? SCOPE_COLS;
  const { samples, sampleRate } = scope;
  const windowFrames = Math.floor(samples.length / 2);
  const ms = (windowFrames / sampleRate) * 1000;
  const spectrum = {
    sampleRate,
    cols,
    rows: layout.spectrumRows ?? SPECTRUM_ROWS,
  };
  const hz = (value: number) => value >= 1000 ? `${value / 1000} kHz` : `${value} Hz`;
  return [
    `scope  ${ms.toFixed(1)} ms, triggered on a rising zero crossing`,
    ...scopeText(samples, { cols, rows: layout.scopeRows ?? SCOPE_ROWS, windowFrames }),
    `spectrum  ${hz(SPECTRUM_MIN_HZ)} to ${
      hz(Math.min(SPECTRUM_MAX_HZ, sampleRate / 2))
    }, 0 to ${SPECTRUM_FLOOR_DB} dBFS`,
    ...spectrumText(samples, spectrum),
    spectrumAxis(spectrum),
  ];
}

/**
 * The body of one frame: level, tempo and beat, instruments, engine
 * status, then the scope and spectrum (fitted into `layout.rows` when
 * given). The beat counts from the scope's end frame at the state's tempo;
 * the scope part is left out when there are no samples or no room.
 *
 * @example
 * ```ts ignore
 * import { monitorLines } from "./monitor.ts";
 * console.log(monitorLines({ state, scope }, { cols: 48 }).join("\n"));
 * ```
 */
export function monitorLines(view: MonitorView, layout: MonitorLayout = {}): string[] {
  const state = view.state ?? {};
  const { scope } = view;
  const perBar = layout.beatsPerBar ?? BEATS_PER_BAR;
  const position = scope === undefined || state.tempo === undefined
    ? undefined
    : beatPosition(scope.endFrame, {
      sampleRate: scope.sampleRate,
      tempo: state.tempo,
      beatsPerBar: perBar,
    });
  const lines = [
    ...levelLines(state),
    ...tempoLines(state, position === undefined ? undefined : beatText(position, perBar)),
  ];
  if (view.problem !== undefined) lines.push(view.problem);
  const instruments = instrumentLines(state);
  if (instruments.length > 0) lines.push("", ...instruments);
  lines.push(...statusLines(state));
  // The plots last, fitted into what the text leaves of a short pane.
  if (scope !== undefined && scope.samples.length > 0) {
    const fitted = layout.rows === undefined
      ? layout
      : plotLayout(layout, layout.rows - lines.length);
    if (fitted !== undefined) lines.push("", ...scopeLines(scope, fitted));
  }
  return lines;
}

/** Asks one Chronus over one connection; reconnects after any failure. */
class MonitorSession {
  readonly #host: string;
  readonly #port: number;
  readonly #stateMs: number;
  #connection: ChronusConnection | undefined;
  #state: StateView | undefined;
  #stateAt = -Infinity;

  constructor(host: string, port: number, stateMs: number) {
    this.#host = host;
    this.#port = port;
    this.#stateMs = stateMs;
  }

  /** The state (asked when older than `stateMs`) and the newest samples. */
  async view(): Promise<MonitorView> {
    try {
      this.#connection ??= await ChronusConnection.open({
        host: this.#host,
        port: this.#port,
        timeoutMs: QUERY_TIMEOUT_MS,
      });
      const problems: string[] = [];
      if (performance.now() - this.#stateAt >= this.#stateMs) {
        const reply = await this.#connection.ask("/state");
        this.#stateAt = performance.now();
        if (reply.ok) this.#state = JSON.parse(reply.text) as StateView;
        else problems.push(`error: ${reply.text}`);
      }
      const scope = await this.#connection.scope(DEFAULT_SCOPE_FRAMES);
      if (!scope.ok) problems.push(`scope: ${scope.text}`);
      return {
        ...(this.#state === undefined ? {} : { state: this.#state }),
        ...(scope.ok ? { scope: scope.data } : {}),
        ...(problems.length === 0 ? {} : { problem: problems.join("; ") }),
      };
    } catch (error) {
      await this.close();
      this.#state = undefined;
      this.#stateAt = -Infinity;
      return {
        problem: error instanceof NoChronusError ? "waiting for Chronus…" : String(error),
      };
    }
  }

  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close();
  }
}

function title(host: string, port: number): string {
  return `chronus monitor  ${host}:${port}  ${new Date().toLocaleTimeString()}`;
}

/**
 * One frame of the monitor, asked once: a title line, then the state and the
 * scope (or why there are none).
 */
export async function monitorFrame(host: string, port: number): Promise<string> {
  const session = new MonitorSession(host, port, 0);
  try {
    return [title(host, port), "", ...monitorLines(await session.view())].join("\n");
  } finally {
    await session.close();
  }
}

/** The terminal's size, when standard output is one. */
function terminalSize(): { columns: number; rows: number } | undefined {
  try {
    return Deno.stdout.isTerminal() ? Deno.consoleSize() : undefined;
  } catch {
    return undefined;
  }
}

/** Draws frames in place: cursor home, each line cleared to its end, the rest of the screen cleared. */
function terminalScreen(): { draw: (frame: string) => void; close: () => void } {
  const encoder = new TextEncoder();
  const write = (text: string) => Deno.stdout.writeSync(encoder.encode(text));
  write("\x1b[?25l\x1b[2J"); // hide the cursor, clear once
  return {
    draw: (frame) => {
      const size = terminalSize();
      let lines = frame.split("\n");
      if (size !== undefined) {
        lines = lines.slice(0, size.rows).map((line) => line.slice(0, size.columns));
      }
      write(`\x1b[H${lines.join("\x1b[K\n")}\x1b[K\x1b[J`);
    },
    close: () => write("\x1b[?25h\n"),
  };
}

/**
 * The layout for this refresh: the given one, its width and the rows below
 * the title fitted to the terminal when not given.
 */
function fittedLayout(layout: MonitorLayout | undefined, toTerminal: boolean): MonitorLayout {
  const given = layout ?? {};
  const size = toTerminal ? terminalSize() : undefined;
  if (size === undefined) return given;
  return {
    ...given,
    cols: given.cols ?? Math.max(16, Math.min(SCOPE_COLS, size.columns - 1)),
    rows: given.rows ?? size.rows - 2, // the title and the blank line under it
  };
}

/**
 * Refresh the monitor until stopped: every `intervalMs` ask for the newest
 * samples (and, every `stateMs`, the state), and draw the frame.
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
  const interval = options.intervalMs ?? MONITOR_INTERVAL_MS;
  const session = new MonitorSession(host, port, options.stateMs ?? MONITOR_STATE_MS);
  const screen = options.draw === undefined ? terminalScreen() : undefined;
  const draw = options.draw ?? screen?.draw ?? (() => {});
  let stopped = false;
  const stop = options.stop ?? untilSignal();
  stop.then(() => stopped = true);
  try {
    for (let frame = 0; !stopped && frame < (options.frames ?? Infinity); frame++) {
      const started = performance.now();
      const view = await session.view();
      const layout = fittedLayout(options.layout, screen !== undefined);
      draw([title(host, port), "", ...monitorLines(view, layout)].join("\n"));
      const wait = Math.max(0, interval - (performance.now() - started));
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([stop, new Promise((resolve) => timer = setTimeout(resolve, wait))]);
      clearTimeout(timer);
    }
  } finally {
    await session.close();
    screen?.close();
  }
}
