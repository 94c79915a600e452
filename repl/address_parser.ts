/**
 * The address commands of the Python prototype, accepted verbatim:
 * `/mod/sine/freq 440`, `/gate/adsr 1`, `/status`, `/fault/kill active`, …
 *
 * One table maps each address to what it does; parameter ranges and units
 * come from {@linkcode PARAM_SPECS}, so the parser and the synth never
 * disagree about what a value may be.
 *
 * @module
 */

import { type CommandSpec, setParam } from "../engine/command.ts";
import type { FaultName, SlotChoice } from "../engine/control.ts";
import { PARAM_SPECS, type ParamSpec, SynthParam, type SynthParamId } from "../dsp/params.ts";
import {
  checkLine,
  invalid,
  type LineAction,
  type LineParser,
  parsed,
  type ParseResult,
  shown,
  unknown,
} from "./line_parser.ts";

/** Commands of `/test`: a sine at 440 Hz, gain 0.5, gate open, in that order. */
export const TEST_TONE: readonly CommandSpec[] = [
  setParam(SynthParam.SineFreq, 440),
  setParam(SynthParam.SineGain, 0.5),
  setParam(SynthParam.Gate, 1),
];

type AddressEntry =
  | {
    readonly kind: "param";
    readonly param: SynthParamId;
    readonly label: string;
    readonly example: number;
    readonly summary: string;
  }
  | { readonly kind: "action"; readonly action: LineAction; readonly summary: string }
  | { readonly kind: "fault"; readonly fault: FaultName; readonly summary: string };

function param(
  id: SynthParamId,
  label: string,
  example: number,
  summary: string,
): AddressEntry {
  return { kind: "param", param: id, label, example, summary };
}

const ADDRESSES: ReadonlyMap<string, AddressEntry> = new Map<string, AddressEntry>([
  ["/test", {
    kind: "action",
    action: {
      kind: "commands",
      specs: TEST_TONE,
      message: "test tone: sine 440 Hz, gain 0.5, gate on",
    },
    summary: "play a test tone: sine 440 Hz, gain 0.5, gate on",
  }],
  ["/mod/sine/freq", param(SynthParam.SineFreq, "sine freq", 440, "sine oscillator frequency")],
  ["/mod/sine/gain", param(SynthParam.SineGain, "sine gain", 0.5, "sine oscillator gain")],
  [
    "/gate/adsr",
    param(SynthParam.Gate, "gate", 1, "open (1 or on) or close (0 or off) the envelope"),
  ],
  ["/mod/filter/cutoff", param(SynthParam.FilterCutoff, "filter cutoff", 800, "low-pass cutoff")],
  [
    "/mod/filter/resonance",
    param(SynthParam.FilterResonance, "filter resonance", 0.3, "low-pass resonance"),
  ],
  ["/mod/adsr/attack", param(SynthParam.AdsrAttack, "adsr attack", 10, "envelope attack time")],
  ["/mod/adsr/decay", param(SynthParam.AdsrDecay, "adsr decay", 100, "envelope decay time")],
  [
    "/mod/adsr/sustain",
    param(SynthParam.AdsrSustain, "adsr sustain", 0.7, "envelope sustain level"),
  ],
  [
    "/mod/adsr/release",
    param(SynthParam.AdsrRelease, "adsr release", 300, "envelope release time"),
  ],
  ["/mod/master/gain", param(SynthParam.MasterGain, "master gain", 0.8, "master output gain")],
  ["/status", { kind: "action", action: { kind: "status" }, summary: "show engine status" }],
  [
    "/state",
    {
      kind: "action",
      action: { kind: "state" },
      summary: "print the whole state (patch and engine) as one JSON object",
    },
  ],
  ["/help", { kind: "action", action: { kind: "help" }, summary: "show this help" }],
  ["/quit", { kind: "action", action: { kind: "quit" }, summary: "stop reading commands" }],
  ["/fault/kill", { kind: "fault", fault: "kill", summary: "crash a DSP slot's worker" }],
  ["/fault/hang", { kind: "fault", fault: "hang", summary: "hang a DSP slot's worker" }],
  ["/fault/throw", { kind: "fault", fault: "throw", summary: "make a DSP slot's worker throw" }],
]);

/** One address command as the help text shows it. */
export interface AddressHelp {
  /** The address, e.g. `/mod/sine/freq`. */
  readonly address: string;
  /** The address with its argument and range, e.g. `/mod/sine/freq <20..20000 Hz>`. */
  readonly usage: string;
  /** A complete line that the parser accepts, e.g. `/mod/sine/freq 440`. */
  readonly example: string;
  /** What it does, in a few words. */
  readonly summary: string;
}

function specOf(id: SynthParamId): ParamSpec {
  const spec = PARAM_SPECS[id];
  if (spec === undefined) throw new RangeError(`synth parameter ${id} has no spec`);
  return spec;
}

function unitSuffix(spec: ParamSpec): string {
  return spec.unit === "" ? "" : ` ${spec.unit}`;
}

function rangeText(spec: ParamSpec): string {
  return spec.toggle === true ? "0|1" : `${spec.min}..${spec.max}${unitSuffix(spec)}`;
}

function helpOf(address: string, entry: AddressEntry): AddressHelp {
  switch (entry.kind) {
    case "param": {
      const spec = specOf(entry.param);
      const usage = `${address} <${rangeText(spec)}>`;
      const summary = `${entry.summary}${spec.unit === "" ? "" : ` in ${spec.unit}`}`;
      return { address, usage, example: `${address} ${entry.example}`, summary };
    }
    case "fault":
      return {
        address,
        usage: `${address} <active|standby>`,
        example: `${address} active`,
        summary: entry.summary,
      };
    case "action":
      return { address, usage: address, example: address, summary: entry.summary };
  }
}

/**
 * Every address command, in the order the help text lists them.
 *
 * @example
 * ```ts
 * import { ADDRESS_HELP } from "./address_parser.ts";
 * for (const h of ADDRESS_HELP) console.log(h.usage, "e.g.", h.example);
 * ```
 */
export const ADDRESS_HELP: readonly AddressHelp[] = [...ADDRESSES].map(([address, entry]) =>
  helpOf(address, entry)
);

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE = /^[+-]?(?:nan|inf|infinity)$/i;

/**
 * Parse a plain decimal number such as `440`, `-5`, `0.25`, `.5` or `4.4e2`.
 * Returns `undefined` for anything else: empty text, a lone sign, hex
 * (`0x10`), separators (`1_000`), `NaN`, `Infinity`, surrounding spaces.
 * A literal too large for a float64 (`1e999`) gives ±Infinity, which callers
 * must reject. `-0` gives 0.
 *
 * @example
 * ```ts
 * import { parseDecimal } from "./address_parser.ts";
 * console.log(parseDecimal("4.4e2"), parseDecimal("0x10")); // 440 undefined
 * ```
 */
export function parseDecimal(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  return Number(text) + 0;
}

/**
 * Parse one address command line. Blank lines and `#` comments give an
 * `empty` action; anything after a `#` token is a comment. Lines that do not
 * name a known address answer `"unknown"` (with a suggestion when one is
 * close), so another parser may take them; known addresses with a bad
 * argument answer `"invalid"`. Never throws.
 *
 * @example
 * ```ts
 * import { parseAddressLine } from "./address_parser.ts";
 * const result = parseAddressLine("/mod/filter/cutoff 800");
 * if (result.ok && result.action.kind === "commands") {
 *   console.log(result.action.message); // filter cutoff 800 Hz
 * }
 * ```
 */
export const parseAddressLine: LineParser = (line: string): ParseResult => {
  const bad = checkLine(line);
  if (bad !== undefined) return invalid(bad);
  const tokens = withoutComment(line.trim().split(/\s+/));
  const [head, ...args] = tokens;
  if (head === undefined) return parsed({ kind: "empty" });
  const entry = ADDRESSES.get(head);
  if (entry === undefined) return unknown(unknownMessage(head));
  switch (entry.kind) {
    case "param":
      return parseParam(head, entry.param, entry.label, args);
    case "fault":
      return parseFault(head, entry.fault, args);
    case "action":
      return args.length === 0
        ? parsed(entry.action)
        : invalid(`${head} takes no arguments, got ${args.length}`);
  }
};

function withoutComment(tokens: string[]): string[] {
  const hash = tokens.findIndex((token) => token.startsWith("#"));
  const kept = hash < 0 ? tokens : tokens.slice(0, hash);
  return kept.filter((token) => token !== "");
}

function parseParam(
  address: string,
  id: SynthParamId,
  label: string,
  args: readonly string[],
): ParseResult {
  const spec = specOf(id);
  const [text, ...extra] = args;
  if (text === undefined) return invalid(`${address} needs a value: ${rangeText(spec)}`);
  if (extra.length > 0) {
    return invalid(`${address} takes one value, got ${args.length} arguments`);
  }
  const value = spec.toggle === true ? parseToggle(text) : parseDecimal(text);
  if (value === undefined) return invalid(notANumber(address, text, spec));
  if (!Number.isFinite(value)) {
    return invalid(`${address} needs a finite number, got ${shown(text)}`);
  }
  if (spec.toggle === true && value !== 0 && value !== 1) {
    return invalid(`${address} must be 0 or 1, got ${value}`);
  }
  if (value < spec.min || value > spec.max) {
    return invalid(
      `${address} must be between ${spec.min} and ${spec.max}${unitSuffix(spec)}, got ${value}`,
    );
  }
  const message = spec.toggle === true
    ? `${label} ${value === 1 ? "on" : "off"}`
    : `${label} ${value}${unitSuffix(spec)}`;
  return parsed({ kind: "commands", specs: [setParam(id, value)], message });
}

function parseToggle(text: string): number | undefined {
  if (text === "on") return 1;
  if (text === "off") return 0;
  return parseDecimal(text);
}

function notANumber(address: string, text: string, spec: ParamSpec): string {
  if (NON_FINITE.test(text)) return `${address} needs a finite number, got ${shown(text)}`;
  const allowed = spec.toggle === true ? "0 or 1" : "a decimal number like 440 or 4.4e2";
  return `${address} needs ${allowed}, got ${shown(text)}`;
}

const SLOTS: readonly SlotChoice[] = ["active", "standby"];

function parseFault(address: string, fault: FaultName, args: readonly string[]): ParseResult {
  const [text, ...extra] = args;
  if (text === undefined) return invalid(`${address} needs a slot: active or standby`);
  if (extra.length > 0) return invalid(`${address} takes one slot, got ${args.length} arguments`);
  const slot = SLOTS.find((choice) => choice === text);
  if (slot === undefined) {
    return invalid(`${address} slot must be active or standby, got ${shown(text)}`);
  }
  return parsed({ kind: "fault", fault, slot });
}

function unknownMessage(head: string): string {
  const near = nearestAddress(head.startsWith("/") ? head : `/${head}`);
  const base = `unknown command ${shown(head)}`;
  return near === undefined ? `${base}, type /help for the list` : `${base}, did you mean ${near}?`;
}

/**
 * The known address closest to `text` by edit distance (ignoring case), or
 * `undefined` when none is within a third of its length (at least 2 edits).
 *
 * @example
 * ```ts
 * import { nearestAddress } from "./address_parser.ts";
 * console.log(nearestAddress("/mod/sine/frq")); // /mod/sine/freq
 * ```
 */
export function nearestAddress(text: string): string | undefined {
  const wanted = text.toLowerCase();
  const limit = Math.max(2, Math.floor(wanted.length / 3));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const address of ADDRESSES.keys()) {
    if (Math.abs(address.length - wanted.length) >= bestDistance) continue;
    const distance = editDistance(wanted, address, bestDistance);
    if (distance < bestDistance) {
      best = address;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance of `a` and `b`, or any value ≥ `cap` once it is known to reach `cap`. */
function editDistance(a: string, b: string, cap: number): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      const value = Math.min(substitution, (previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin >= cap) return cap;
    previous = current;
  }
  return previous[b.length] ?? cap;
}
