/**
 * Chronus: a live-coding synthesizer for the terminal.
 *
 * The public API: start the real-time engine (two hot-standby DSP slots, an
 * audio worker on PortAudio or a null clock) or the offline one, build
 * command structs, parse the prototype's `/...` commands, and drive an engine
 * from lines of text.
 *
 * @example
 * ```ts ignore
 * import { parseAddressLine, startEngine } from "./mod.ts";
 * const engine = await startEngine({ backend: "null" });
 * const result = parseAddressLine("/test");
 * if (result.ok && result.action.kind === "commands") engine.send(result.action.specs);
 * await engine.stop();
 * ```
 *
 * @module
 */

export {
  DEFAULT_BLOCK_FRAMES,
  DEFAULT_SAMPLE_RATE,
  Engine,
  type EngineEvent,
  type EngineOptions,
  startEngine,
} from "./engine/engine.ts";
export { OfflineEngine, type OfflineOptions } from "./engine/offline.ts";
export {
  type Command,
  COMMAND_BYTES,
  type CommandSpec,
  FaultKind,
  Opcode,
  setParam,
} from "./engine/command.ts";
export type {
  BackendName,
  EngineControl,
  EngineStatus,
  FaultName,
  ScopeCapture,
  ScopeSource,
  SlotChoice,
  SlotHealth,
  SlotStatus,
} from "./engine/control.ts";
export type { SlotEvent } from "./engine/supervisor.ts";
export { type DeviceInfo, PortAudio, PortAudioError } from "./engine/portaudio.ts";
export { type DecodedWav, decodeWav, encodeWav } from "./engine/wav.ts";
export { MiniSynth, PARAM_SPECS, type ParamSpec, SynthParam } from "./dsp/mod.ts";
export {
  HELP_TEXT,
  type LineParser,
  linesFromReadable,
  parseAddressLine,
  type ParseResult,
  runLineSession,
  ttyLines,
} from "./repl/mod.ts";
