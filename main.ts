/**
 * The `chronus` command line: start the engine and read commands from a REPL
 * (on a terminal) or line by line from piped stdin; list devices; render
 * offline to a WAV file.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type EngineEvent, startEngine } from "./engine/engine.ts";
import { Autosave } from "./repl/autosave.ts";
import { PatchStore } from "./repl/patch_store.ts";
import { isLog, logScript, SessionLog } from "./repl/session_log.ts";
import { OfflineEngine } from "./engine/offline.ts";
import { encodeWav } from "./engine/wav.ts";
import { NO_DEVICE_HINT, PortAudio } from "./engine/portaudio.ts";
import type { EngineControl, ScopeSource } from "./engine/control.ts";
import {
  type BatchScheduler,
  type CommandsAction,
  completeLine,
  Conductor,
  DEFAULT_OSC_HOST,
  DEFAULT_OSC_PORT,
  ERROR_PREFIX,
  firstParser,
  guardedParser,
  HELP_TEXT,
  lineAnswerHandler,
  type LineParser,
  linesFromReadable,
  OK_PREFIX,
  type OscServer,
  parseDecimal,
  PatchModel,
  phraseParsers,
  rateLimited,
  RateLimiter,
  runLineSession,
  runMonitor,
  runSendCommand,
  scriptPace,
  startOscServer,
  ttyLines,
  untilSignal,
} from "./repl/mod.ts";

const USAGE = `chronus — a live-coding synthesizer for the terminal

usage:
  chronus [options]          start and read commands (a REPL on a terminal, lines from piped stdin)
  chronus send "<command>"   send one command or phrase to a running Chronus over OSC
  chronus send -             send every line of stdin, one reply line each
  chronus monitor            show a running Chronus's status, refreshed (--osc-host/--osc-port)
  chronus render <script>    render a phrase script or session log offline, fast (-o out.wav)
  chronus replay <log>       play a session log (or script) again in real time
  chronus devices            list audio devices
  chronus help               this text

options:
  --backend <name>   portaudio (default), null (no device, real-time clock) or offline (to a WAV file)
  --device <d>       output device: index or (part of a) name; default JACK "system", else the default output
  --rate <hz>        sample rate, default 48000
  --block <frames>   frames per block, default 128
  --lead <ms>        render each block this long before it is due (lower: less latency, less margin)
  --linger <s>       after piped stdin ends, keep playing this long, default 1
  --out <file>       offline: WAV file to write, default chronus.wav
  --seconds <s>      offline: length to render, default 2 (a script's waits can make it longer)
  --quiet            do not print engine events (failovers, respawns) on stderr
  --osc-port <n>     OSC (UDP) port for other programs and \`chronus send\`, default 57120
  --osc-host <addr>  address to bind OSC to, default 127.0.0.1 (this machine only)
  --osc-rate <n>     lines per second each OSC sender may send (excess refused), default 50
  --no-osc           do not listen for OSC
  --stay             keep playing after piped stdin ends, until Ctrl-C or SIGTERM
  --json             answer each input line with one JSON object (for agents and scripts)
  --data-dir <dir>   where patches are kept, default $CHRONUS_DATA_DIR, $XDG_DATA_HOME/chronus
                     or ~/.local/share/chronus

examples:
  printf '/test\\n/mod/sine/freq 660\\n' | chronus --linger 2
  chronus send "/inst/lead/note C4"     (from another pane, while chronus runs)
  printf '/test\\n' | chronus --backend offline --out tone.wav --seconds 1`;

/** A command-line mistake: printed as one line, exit status 2. */
class UsageError extends Error {}

interface CliOptions {
  readonly backend: "portaudio" | "null" | "offline";
  /** `render`, `replay`: the script or session log to read (a file, or `-` for standard input). */
  readonly script?: string;
  readonly device: string;
  readonly sampleRate: number;
  readonly blockFrames: number;
  readonly leadMs: number | undefined;
  readonly lingerSeconds: number;
  readonly out: string;
  readonly seconds: number;
  readonly quiet: boolean;
  /** OSC server address, or undefined for no OSC. */
  readonly osc: { readonly host: string; readonly port: number; readonly rate: number } | undefined;
  readonly stay: boolean;
  readonly json: boolean;
}

function numberOption(
  name: string,
  text: string | undefined,
  fallback: number,
  range: { min: number; max: number; integer?: boolean },
): number {
  if (text === undefined) return fallback;
  const value = parseDecimal(text);
  if (
    value === undefined || value < range.min || value > range.max ||
    (range.integer === true && !Number.isInteger(value))
  ) {
    const kind = range.integer === true ? "a whole number" : "a number";
    throw new UsageError(
      `--${name} must be ${kind} from ${range.min} to ${range.max}, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

function parseCli(args: string[]): { command: string; options: CliOptions } {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        backend: { type: "string" },
        device: { type: "string" },
        rate: { type: "string" },
        block: { type: "string" },
        lead: { type: "string" },
        linger: { type: "string" },
        out: { type: "string", short: "o" },
        seconds: { type: "string" },
        quiet: { type: "boolean" },
        "osc-port": { type: "string" },
        "osc-host": { type: "string" },
        "osc-rate": { type: "string" },
        "no-osc": { type: "boolean" },
        stay: { type: "boolean" },
        json: { type: "boolean" },
        "data-dir": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  // The patch library reads its folder from here (repl/patch_store.ts, defaultDataDir).
  if (values["data-dir"] !== undefined) Deno.env.set("CHRONUS_DATA_DIR", values["data-dir"]);
  const command = values.help === true ? "help" : positionals[0] ?? "start";
  const withScript = command === "render" || command === "replay";
  const script = withScript ? positionals[1] : undefined;
  if (withScript && script === undefined) {
    throw new UsageError(`${command} needs a script or log: chronus ${command} song.txt`);
  }
  const extra = positionals[withScript ? 2 : 1];
  if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
  if (!["start", "devices", "monitor", "help", "render", "replay"].includes(command)) {
    throw new UsageError(
      `unknown command "${command}"; commands are start, send, monitor, render, replay, devices, help`,
    );
  }
  const backend = command === "render" ? "offline" : values.backend ?? "portaudio";
  if (backend !== "portaudio" && backend !== "null" && backend !== "offline") {
    throw new UsageError(`--backend must be portaudio, null or offline, got "${backend}"`);
  }
  return {
    command,
    options: {
      backend,
      device: values.device ?? "",
      sampleRate: numberOption("rate", values.rate, 48000, {
        min: 8000,
        max: 192000,
        integer: true,
      }),
      blockFrames: numberOption("block", values.block, 128, { min: 16, max: 4096, integer: true }),
      leadMs: values.lead === undefined
        ? undefined
        : numberOption("lead", values.lead, 1, { min: 0, max: 100 }),
      lingerSeconds: numberOption("linger", values.linger, 1, { min: 0, max: 3600 }),
      out: values.out ?? "chronus.wav",
      seconds: numberOption("seconds", values.seconds, 2, { min: 0, max: 3600 }),
      quiet: values.quiet === true,
      osc: values["no-osc"] === true ? undefined : {
        host: values["osc-host"] ?? DEFAULT_OSC_HOST,
        port: numberOption("osc-port", values["osc-port"], DEFAULT_OSC_PORT, {
          min: 1,
          max: 65535,
          integer: true,
        }),
        rate: numberOption("osc-rate", values["osc-rate"], 50, { min: 1, max: 100000 }),
      },
      stay: values.stay === true,
      json: values.json === true,
      ...(script === undefined ? {} : { script }),
    },
  };
}

function listDevices(): void {
  const pa = PortAudio.load();
  pa.initialize();
  try {
    console.log(pa.versionText());
    const devices = pa.devices();
    if (devices.length === 0) console.log(`no audio devices (${NO_DEVICE_HINT})`);
    for (const d of devices) {
      console.log(
        `${
          String(d.index).padStart(3)
        }  ${d.name}  (${d.hostApiName}, ${d.maxOutputChannels} out, ${d.defaultSampleRate} Hz, ${
          (d.defaultLowOutputLatency * 1000).toFixed(1)
        } ms)`,
      );
    }
  } finally {
    pa.terminate();
    pa.close();
  }
}

function describeEvent(event: EngineEvent): string {
  if (event.type === "fallback") return `chronus: ${event.detail}`;
  return `chronus: slot ${event.slot} ${event.type}: ${event.detail}`;
}

/** Where the REPL keeps its history: $XDG_STATE_HOME/chronus/history or ~/.local/state/…. */
function historyFile(): string | undefined {
  const base = Deno.env.get("XDG_STATE_HOME") ??
    (Deno.env.get("HOME") === undefined ? undefined : `${Deno.env.get("HOME")}/.local/state`);
  if (base === undefined) return undefined;
  try {
    Deno.mkdirSync(`${base}/chronus`, { recursive: true });
    return `${base}/chronus/history`;
  } catch {
    return undefined;
  }
}

function input(): AsyncIterable<string> {
  if (!Deno.stdin.isTerminal()) return linesFromReadable(Deno.stdin.readable);
  const history = historyFile();
  return ttyLines("chronus> ", {
    completer: completeLine,
    ...(history === undefined ? {} : { historyFile: history }),
  });
}

/** Colour a result line's ok/error prefix on a terminal (not with NO_COLOR or --json). */
function coloured(line: string): string {
  if (line.startsWith(OK_PREFIX)) {
    return `\x1b[32m${OK_PREFIX.trimEnd()}\x1b[0m  ${line.slice(OK_PREFIX.length)}`;
  }
  if (line.startsWith(ERROR_PREFIX)) {
    return `\x1b[31m${ERROR_PREFIX.trimEnd()}\x1b[0m  ${line.slice(ERROR_PREFIX.length)}`;
  }
  return line;
}

/** The language of one input source: address commands, then phrases (with its own undo). */
interface Voice {
  readonly parsers: readonly LineParser[];
  readonly afterSend: (action: CommandsAction) => void;
  readonly patchState: () => unknown;
}

/** One patch model and conductor per engine; a parser list per source. */
function voices(
  engine: EngineControl,
  scheduler?: BatchScheduler,
): { voice: (source: string) => Voice; conductor: Conductor; model: PatchModel } {
  const model = new PatchModel();
  const conductor = new Conductor(engine, model, scheduler);
  return {
    conductor,
    model,
    voice: (source) => ({
      parsers: phraseParsers(model, source),
      afterSend: conductor.hook(source),
      patchState: () => model.toJSON(),
    }),
  };
}

/** Listen for OSC if asked; a port in use is a warning, not a failure (the REPL still works). */
async function startOsc(
  engine: EngineControl & ScopeSource,
  options: CliOptions,
  voice: Voice,
): Promise<OscServer | undefined> {
  if (options.osc === undefined) return undefined;
  try {
    return await startOscServer({
      host: options.osc.host,
      port: options.osc.port,
      // Programs and agents get a per-source rate limit; the sound never sees the excess.
      handle: rateLimited(
        lineAnswerHandler({
          engine,
          parse: guardedParser(firstParser(voice.parsers)),
          helpText: HELP_TEXT,
          afterSend: voice.afterSend,
          patchState: voice.patchState,
        }),
        new RateLimiter({ perSecond: options.osc.rate }),
      ),
      // `chronus monitor` reads the output for its scope and spectrum (repl/osc_scope.ts).
      scope: engine,
    });
  } catch (error) {
    console.error(
      `chronus: no OSC: ${
        error instanceof Error ? error.message : String(error)
      } (--osc-port or --no-osc)`,
    );
    return undefined;
  }
}

async function session(
  engine: EngineControl,
  voice: Voice,
  json: boolean,
  wait?: (ms: number) => void,
  lines?: AsyncIterable<string>,
  paced: boolean = !Deno.stdin.isTerminal(),
): Promise<{ failures: number }> {
  const encoder = new TextEncoder();
  const colour = !json && Deno.stdout.isTerminal() && Deno.env.get("NO_COLOR") === undefined;
  return await runLineSession({
    engine,
    parsers: voice.parsers,
    input: lines ?? input(),
    write: (line) => Deno.stdout.writeSync(encoder.encode((colour ? coloured(line) : line) + "\n")),
    helpText: HELP_TEXT,
    afterSend: voice.afterSend,
    patchState: voice.patchState,
    json,
    // Piped scripts honour `wait` and note lengths; at a prompt, the person paces.
    ...(paced ? { pace: scriptPace } : {}),
    ...(wait === undefined ? {} : { wait }),
  });
}

async function writeFileAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.${Deno.pid}.tmp`;
  try {
    await Deno.writeFile(temp, bytes);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}

function concatAudio(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The lines of a script file (a session log becomes its script, waits included). */
async function scriptLines(path: string): Promise<AsyncIterable<string>> {
  const text = await Deno.readTextFile(path);
  const lines = isLog(text) ? logScript(text) : text.split(/\r?\n/);
  return (async function* () {
    yield* lines;
  })();
}

async function runOffline(options: CliOptions): Promise<number> {
  const engine = new OfflineEngine({
    sampleRate: options.sampleRate,
    blockFrames: options.blockFrames,
  });
  // Script time is audio time here: `wait` renders, timed notes land on their frames.
  const { conductor, voice } = voices(engine, {
    schedule: (afterMs, specs) => engine.sendAfter(afterMs, specs),
    cancelAll: () => engine.cancelLater(),
  });
  const parts: Float32Array[] = [];
  const progress = options.script !== undefined && Deno.stderr.isTerminal();
  const encoder = new TextEncoder();
  const wait = (ms: number) => {
    parts.push(engine.advance(ms));
    if (progress) {
      const seconds = engine.frames / options.sampleRate;
      Deno.stderr.writeSync(encoder.encode(`\rchronus: rendering… ${seconds.toFixed(1)} s`));
    }
  };
  const script = options.script === undefined || options.script === "-"
    ? undefined
    : await scriptLines(options.script);
  const { failures } = await session(
    engine,
    voice("local"),
    options.json,
    wait,
    script,
    script !== undefined || !Deno.stdin.isTerminal(),
  );
  if (progress) Deno.stderr.writeSync(encoder.encode("\n"));
  const total = Math.round(options.seconds * options.sampleRate);
  parts.push(engine.renderFrames(Math.max(0, total - engine.frames)));
  conductor.cancel();
  const audio = concatAudio(parts);
  await writeFileAtomically(
    options.out,
    encodeWav(audio, { channels: 2, sampleRate: options.sampleRate }),
  );
  const seconds = audio.length / 2 / options.sampleRate;
  console.error(`chronus: wrote ${Number(seconds.toFixed(3))} s to ${options.out}`);
  return failures > 0 ? 1 : 0;
}

async function runRealtime(options: CliOptions): Promise<number> {
  const engine = await startEngine({
    backend: options.backend === "null" ? "null" : "portaudio",
    device: options.device,
    sampleRate: options.sampleRate,
    blockFrames: options.blockFrames,
    ...(options.leadMs === undefined ? {} : { leadMs: options.leadMs }),
    onEvent: (event) => {
      if (!options.quiet || event.type === "fallback") console.error(describeEvent(event));
    },
  });
  const interactive = Deno.stdin.isTerminal();
  const { conductor, voice, model } = voices(engine);
  const osc = await startOsc(engine, options, voice("osc"));
  const patches = new PatchStore();
  const offer = interactive ? Autosave.offer(patches) : undefined;
  const autosave = new Autosave(patches, model);
  autosave.start();
  const replay = options.script === undefined || options.script === "-"
    ? undefined
    : await scriptLines(options.script);
  // Every accepted line of this session, with its time (chronus replay/render read it back).
  const log = new SessionLog(`${patches.dataDir}/logs`);
  let current = "";
  const logged = (async function* (lines: AsyncIterable<string>) {
    for await (const line of lines) {
      current = line;
      yield line;
    }
  })(replay ?? input());
  const local = voice("local");
  const localVoice: Voice = {
    ...local,
    afterSend: (action) => {
      // Lines that change the sound; a `wait` is kept as the time between lines.
      if (action.specs.length > 0) log.record(current);
      local.afterSend(action);
    },
  };
  if (interactive) {
    const status = engine.status();
    const listening = osc === undefined ? "" : `, OSC on ${osc.host}:${osc.port}`;
    // With --json, stdout carries only the JSON answers.
    (options.json ? console.error : console.log)(
      `chronus: playing on ${status.backend} (${status.device}), ${status.sampleRate} Hz, ${status.blockFrames} frames${listening}; /help for commands, /quit or Ctrl-D to leave`,
    );
    if (offer !== undefined) console.error(offer);
  }
  let failures = 0;
  try {
    // Piped scripts and replays honour waits and note lengths; at a prompt, the person paces.
    const paced = !interactive || replay !== undefined;
    ({ failures } = await session(engine, localVoice, options.json, undefined, logged, paced));
    if (!interactive && options.stay) {
      await untilSignal();
    } else if (!interactive && options.lingerSeconds > 0) {
      await new Promise((resolve) => setTimeout(resolve, options.lingerSeconds * 1000));
    }
  } finally {
    autosave.stop();
    await osc?.close();
    conductor.cancel();
    await engine.stop();
  }
  return !interactive && failures > 0 ? 1 : 0;
}

/** Run the CLI with `args`; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  if (args[0] === "send") return await runSendCommand(args.slice(1));
  let command: string;
  let options: CliOptions;
  try {
    ({ command, options } = parseCli(args));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`chronus: ${error.message} (see chronus --help)`);
    return 2;
  }
  try {
    if (command === "help") {
      console.log(USAGE);
      return 0;
    }
    if (command === "devices") {
      listDevices();
      return 0;
    }
    if (command === "monitor") {
      await runMonitor(options.osc ?? { host: DEFAULT_OSC_HOST, port: DEFAULT_OSC_PORT });
      return 0;
    }
    return options.backend === "offline" ? await runOffline(options) : await runRealtime(options);
  } catch (error) {
    console.error(`chronus: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
