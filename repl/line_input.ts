/**
 * Where lines come from: a byte stream (stdin, a pipe, a socket, a test) or an
 * interactive terminal. This adapter is the only file of `repl/` that calls
 * the runtime (`node:readline`, `node:process`).
 *
 * @module
 */

import process from "node:process";
import { createInterface } from "node:readline";
import { MAX_LINE_CHARS } from "./line_parser.ts";

/** Options of {@linkcode linesFromReadable}. */
export interface ReadableLinesOptions {
  /**
   * Longest line kept, in UTF-16 code units; default {@linkcode MAX_LINE_CHARS}.
   * A longer line is yielded cut to `maxLineChars + 1` characters, so that the
   * parser still sees it is too long and says so, while memory stays bounded.
   */
  readonly maxLineChars?: number;
  /** Called with the full length of each line that was cut (without its line ending). */
  readonly onLongLine?: (length: number) => void;
}

/**
 * Split a byte stream into lines. Bytes are decoded as UTF-8 without ever
 * failing (invalid bytes become U+FFFD); lines end at `\n` or `\r\n`; a last
 * line without a newline is yielded too; over-long lines are cut (see
 * {@linkcode ReadableLinesOptions.maxLineChars}). When the consumer stops
 * early, the stream's lock is released and the stream is left open.
 *
 * @example
 * ```ts
 * import { linesFromReadable } from "./line_input.ts";
 * const bytes = new TextEncoder().encode("/status\r\n/quit");
 * for await (const line of linesFromReadable(ReadableStream.from([bytes]))) {
 *   console.log(line); // "/status", then "/quit"
 * }
 * ```
 */
export async function* linesFromReadable(
  stream: ReadableStream<Uint8Array>,
  options: ReadableLinesOptions = {},
): AsyncGenerator<string, void, undefined> {
  const splitter = new LineSplitter(options.maxLineChars ?? MAX_LINE_CHARS, options.onLongLine);
  const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: false });
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* splitter.push(decoder.decode(value, { stream: true }));
    }
    yield* splitter.push(decoder.decode());
    yield* splitter.end();
  } finally {
    reader.releaseLock();
  }
}

/** Accumulates decoded text and cuts it into bounded lines. */
class LineSplitter {
  #pending = "";
  #length = 0; // full length of the current line so far, kept or not
  #endsWithCR = false;
  readonly #max: number;
  readonly #keep: number;
  readonly #onLongLine: ((length: number) => void) | undefined;

  constructor(max: number, onLongLine: ((length: number) => void) | undefined) {
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`maxLineChars must be a whole number of at least 1, got ${max}`);
    }
    this.#max = max;
    this.#keep = max + 2; // one character past the limit, and a trailing "\r"
    this.#onLongLine = onLongLine;
  }

  /** Lines completed by `text`. */
  *push(text: string): Generator<string> {
    let start = 0;
    for (;;) {
      const newline = text.indexOf("\n", start);
      if (newline < 0) break;
      this.#take(text.slice(start, newline));
      yield this.#finish();
      start = newline + 1;
    }
    this.#take(text.slice(start));
  }

  /** The last line, if the text did not end with a newline. */
  *end(): Generator<string> {
    if (this.#length > 0) yield this.#finish();
  }

  #take(segment: string): void {
    if (segment.length === 0) return;
    this.#length += segment.length;
    this.#endsWithCR = segment.endsWith("\r");
    const room = this.#keep - this.#pending.length;
    if (room > 0) this.#pending += segment.length <= room ? segment : segment.slice(0, room);
  }

  #finish(): string {
    let line = this.#pending;
    let length = this.#length;
    if (this.#endsWithCR) {
      // Drop the "\r" of "\r\n". When the line was cut this drops a kept
      // character instead, which the cut below would drop anyway.
      length--;
      line = line.slice(0, -1);
    }
    if (length > this.#max) {
      line = line.slice(0, this.#max + 1);
      this.#onLongLine?.(length);
    }
    this.#pending = "";
    this.#length = 0;
    this.#endsWithCR = false;
    return line;
  }
}

/** Options of {@linkcode ttyLines}. */
export interface TtyLinesOptions {
  /** Lines of history kept for the up/down keys; default 500. */
  readonly historySize?: number;
  /** A file that keeps the history between sessions (read at start, appended per line). */
  readonly historyFile?: string;
  /** Tab completion: `[candidates, the text they complete]` for the line so far. */
  readonly completer?: (line: string) => [string[], string];
}

/** The last `size` lines of a history file, newest first (as `node:readline` wants); [] if none. */
export function readHistory(path: string, size: number): string[] {
  try {
    const lines = Deno.readTextFileSync(path).split("\n").filter((line) => line.trim() !== "");
    return lines.slice(-size).reverse();
  } catch {
    return [];
  }
}

function appendHistory(path: string, line: string): void {
  if (line.trim() === "") return;
  try {
    Deno.writeTextFileSync(path, line.replace(/[\r\n]/g, " ") + "\n", {
      append: true,
      mode: 0o600,
    });
  } catch {
    // History is a convenience: a read-only home must not stop the session.
  }
}

/**
 * Read lines from an interactive terminal with a prompt, line editing and
 * in-memory history, through `node:readline` on `process.stdin` and
 * `process.stdout`. Ends on Ctrl-D, or on Ctrl-C (which ends the session
 * like Ctrl-D rather than leaving the prompt paused).
 *
 * @example
 * ```ts ignore
 * import { ttyLines } from "./line_input.ts";
 * for await (const line of ttyLines("chronus> ")) console.log(`you typed ${line}`);
 * ```
 */
export async function* ttyLines(
  prompt: string,
  options: TtyLinesOptions = {},
): AsyncGenerator<string, void, undefined> {
  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    prompt,
    terminal: process.stdin.isTTY === true && process.stdout.isTTY === true,
    historySize: options.historySize ?? 500,
    history: options.historyFile === undefined
      ? []
      : readHistory(options.historyFile, options.historySize ?? 500),
    removeHistoryDuplicates: true,
    ...(options.completer === undefined ? {} : { completer: options.completer }),
  });
  rl.on("SIGINT", () => rl.close());
  try {
    rl.prompt();
    for await (const line of rl) {
      if (options.historyFile !== undefined) appendHistory(options.historyFile, line);
      yield line;
      rl.prompt();
    }
  } finally {
    rl.close();
  }
}
