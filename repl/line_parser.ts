/**
 * The contract every line parser shares: what a parsed line means
 * ({@linkcode LineAction}), how a parser answers ({@linkcode ParseResult}),
 * and how several parsers are tried in turn ({@linkcode firstParser}).
 *
 * A parser is a pure function from one line of text to a result. It never
 * throws, never touches the engine and never does I/O, so the address parser,
 * the phrase parser and any later grammar plug in side by side.
 *
 * @module
 */

import type { CommandSpec } from "../engine/command.ts";
import type { FaultName, SlotChoice } from "../engine/control.ts";

/** Longest line a parser accepts, in UTF-16 code units. */
export const MAX_LINE_CHARS = 1000;

/** What a line asks for. */
export type LineAction =
  /** Send these commands to the engine; `message` says what they do, in a few words. */
  | { readonly kind: "commands"; readonly specs: readonly CommandSpec[]; readonly message: string }
  /** Print the engine status. */
  | { readonly kind: "status" }
  /** Inject a fault into one DSP slot (tests and demos). */
  | { readonly kind: "fault"; readonly fault: FaultName; readonly slot: SlotChoice }
  /** Print the help text. */
  | { readonly kind: "help" }
  /** End the session. */
  | { readonly kind: "quit" }
  /** A blank line or a `#` comment: nothing to do. */
  | { readonly kind: "empty" }
  /** Print the whole state (patch and engine) as one JSON object: `state`, `state --json`. */
  | { readonly kind: "state" };

/**
 * Why a parser refused a line: `"unknown"` means "not mine, let the next
 * parser try"; `"invalid"` means "mine, but wrong", and stops the search.
 */
export type ParseFailure = "unknown" | "invalid";

/** A parser's answer: an action, or a one-line error saying what was wrong and what is allowed. */
export type ParseResult =
  | { readonly ok: true; readonly action: LineAction }
  | { readonly ok: false; readonly reason: ParseFailure; readonly error: string };

/**
 * Turns one line of text into a {@linkcode ParseResult}. Must not throw on any
 * input, including empty strings, control characters and lone surrogates.
 */
export type LineParser = (line: string) => ParseResult;

/** Build an ok result carrying `action`. */
export function parsed(action: LineAction): ParseResult {
  return { ok: true, action };
}

/** Build an "invalid" result: the line is for this parser but wrong. */
export function invalid(error: string): ParseResult {
  return { ok: false, reason: "invalid", error };
}

/** Build an "unknown" result: the line is not for this parser. */
export function unknown(error: string): ParseResult {
  return { ok: false, reason: "unknown", error };
}

const MAX_SHOWN_CHARS = 40;

/**
 * Shorten user text for an error message: at most 40 characters, with `…`
 * when cut. Callers show only text that passed {@linkcode checkLine}.
 */
export function shown(text: string): string {
  return text.length <= MAX_SHOWN_CHARS ? text : `${text.slice(0, MAX_SHOWN_CHARS - 1)}…`;
}

// Control characters (except tab), invisible format characters, lone
// surrogates, private-use characters and U+FFFD (what lossy UTF-8 decoding
// puts in place of invalid bytes).
const BAD_CHAR = /(?!\t)[\p{Cc}\p{Cf}\p{Cs}\p{Co}\uFFFD]/u;

/**
 * Check what every parser requires of a line: at most
 * {@linkcode MAX_LINE_CHARS} characters, and no control, invisible or invalid
 * characters besides tabs and the line's own surrounding whitespace.
 * Returns an error message, or `undefined` when the line is fine.
 *
 * @example
 * ```ts
 * import { checkLine } from "./line_parser.ts";
 * console.log(checkLine("/status")); // undefined
 * console.log(checkLine("/sta\u0007tus")); // line contains unprintable character U+0007 at column 5
 * ```
 */
export function checkLine(line: string): string | undefined {
  if (line.length > MAX_LINE_CHARS) {
    return `line too long: over ${MAX_LINE_CHARS} characters`;
  }
  const text = line.trim();
  const match = BAD_CHAR.exec(text);
  if (match === null) return undefined;
  const code = match[0].codePointAt(0) ?? 0;
  const column = line.length - line.trimStart().length + match.index + 1;
  if (code === 0xfffd) return `line contains invalid UTF-8 (U+FFFD) at column ${column}`;
  const hex = code.toString(16).toUpperCase().padStart(4, "0");
  return `line contains unprintable character U+${hex} at column ${column}`;
}

/**
 * Combine parsers into one: each is tried in order and the first answer that
 * is not `"unknown"` wins. When every parser answers `"unknown"`, the first
 * parser's message is returned (it is usually the most specific). Lines that
 * fail {@linkcode checkLine} are refused before any parser sees them, and a
 * parser that breaks its contract by throwing is reported as an invalid line.
 *
 * @example
 * ```ts
 * import { firstParser } from "./line_parser.ts";
 * import { parseAddressLine } from "./address_parser.ts";
 * const parse = firstParser([parseAddressLine]);
 * console.log(parse("/status").ok); // true
 * ```
 */
export function firstParser(parsers: readonly LineParser[]): LineParser {
  return (line: string): ParseResult => {
    const bad = checkLine(line);
    if (bad !== undefined) return invalid(bad);
    let first: ParseResult | undefined;
    for (const parser of parsers) {
      const result = tryParser(parser, line);
      if (result.ok || result.reason === "invalid") return result;
      first ??= result;
    }
    return first ?? unknown(`unknown command ${shown(line.trim().split(/\s+/)[0] ?? "")}`);
  };
}

function tryParser(parser: LineParser, line: string): ParseResult {
  try {
    return parser(line);
  } catch (error) {
    return invalid(`parser failed: ${errorText(error)}`);
  }
}

/**
 * One-line text of anything thrown: an `Error`'s message, else its string
 * form, with line breaks and control characters replaced by spaces and cut
 * to 200 characters. Never throws.
 */
export function errorText(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? error.message : String(error);
  } catch {
    text = "unprintable error";
  }
  text = text.replace(/[\p{Cc}\p{Cf}\p{Cs}]+/gu, " ").trim();
  if (text === "") text = "unknown error";
  return text.length <= 200 ? text : `${text.slice(0, 199)}…`;
}
