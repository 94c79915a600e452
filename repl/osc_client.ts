/**
 * `chronus send`: drive a running Chronus from another pane or a shell
 * script. Each phrase goes to the Chronus OSC server as
 * `/chronus/say ,s <phrase>`, and its `/chronus/reply` is printed the way the
 * terminal session prints answers: `ok  …` or `error  …`, detail lines after.
 *
 * ```sh
 * chronus send "/inst/lead/note C4 0.8"
 * printf '/test\n/mod/sine/freq 660\n' | chronus send -
 * ```
 *
 * Phrases are sent one at a time, each after the previous one's reply, so the
 * replies come back in order and nothing is lost to a full socket buffer.
 *
 * {@linkcode ChronusConnection} keeps one socket open for a program that asks
 * often (`chronus monitor`): phrases, and the `/chronus/scope` query for
 * recent output samples (see `osc_scope.ts`).
 *
 * @module
 */

import { createSocket, type Socket } from "node:dgram";
import { parseArgs } from "node:util";
import {
  decodeOscPacket,
  encodeOscMessage,
  MAX_DATAGRAM_BYTES,
  type OscMessage,
} from "./osc_codec.ts";
import { errorText } from "./line_parser.ts";
import { linesFromReadable } from "./line_input.ts";
import { DETAIL_PREFIX, ERROR_PREFIX, OK_PREFIX } from "./line_session.ts";
import {
  DEFAULT_OSC_HOST,
  DEFAULT_OSC_PORT,
  type OscReply,
  REPLY_ADDRESS,
  SAY_ADDRESS,
} from "./osc_server.ts";
import {
  decodeScopeReply,
  DEFAULT_SCOPE_FRAMES,
  MAX_SCOPE_FRAMES,
  SCOPE_ADDRESS,
  type ScopeAnswer,
} from "./osc_scope.ts";

/** How long to wait for each reply when not told, in milliseconds. */
export const DEFAULT_SEND_TIMEOUT_MS = 2000;

/** Where to send phrases. */
export interface SendOptions {
  /** Host of the running Chronus; default {@linkcode DEFAULT_OSC_HOST}. */
  readonly host?: string;
  /** Its OSC port; default {@linkcode DEFAULT_OSC_PORT}. */
  readonly port?: number;
  /** How long to wait for each reply; default {@linkcode DEFAULT_SEND_TIMEOUT_MS}. */
  readonly timeoutMs?: number;
}

/** No reply came in time: nothing is listening there (or it is stuck). */
export class NoChronusError extends Error {
  /** The host that was asked. */
  readonly host: string;
  /** The port that was asked. */
  readonly port: number;

  /** No reply came from `host`:`port`. */
  constructor(host: string, port: number) {
    super(`no Chronus listening on ${host}:${port} (start it with bin/chronus)`);
    this.host = host;
    this.port = port;
    this.name = "NoChronusError";
  }
}

/** What came back for a request: a line reply or a scope reply. */
type Answer =
  | { readonly kind: "reply"; readonly reply: OscReply }
  | ({ readonly kind: "scope" } & ScopeAnswer);

/** The answer `message` carries, if it is a reply at all. */
function answerOf(message: OscMessage): Answer | undefined {
  const data = decodeScopeReply(message);
  if (data !== undefined) return { kind: "scope", ok: true, data };
  const { address, args } = message;
  const [status, text] = args;
  if (address !== REPLY_ADDRESS || args.length !== 2) return undefined;
  if (status?.type !== "s" || text?.type !== "s") return undefined;
  if (status.value !== "ok" && status.value !== "error") return undefined;
  return { kind: "reply", reply: { ok: status.value === "ok", text: text.value } };
}

/**
 * One UDP socket connected to a Chronus, asking one thing at a time: for a
 * program that asks often (a monitor) instead of a socket per phrase. After
 * any failure (a timeout, an unreachable port) close it and open a new one.
 *
 * @example
 * ```ts ignore
 * import { ChronusConnection } from "./osc_client.ts";
 * const chronus = await ChronusConnection.open({ port: 57120, timeoutMs: 500 });
 * try {
 *   console.log(await chronus.ask("/status"));
 *   const scope = await chronus.scope(1024);
 *   if (scope.ok) console.log(scope.data.samples.length, scope.data.endFrame);
 * } finally {
 *   await chronus.close();
 * }
 * ```
 */
export class ChronusConnection {
  /** The host asked. */
  readonly host: string;
  /** The port asked. */
  readonly port: number;
  /** How long each request waits for its reply, in ms. */
  readonly timeoutMs: number;
  readonly #socket: Socket;
  #waiting: ((answer: Answer) => boolean) | undefined;
  #failed: Error | undefined;

  private constructor(socket: Socket, host: string, port: number, timeoutMs: number) {
    this.#socket = socket;
    this.host = host;
    this.port = port;
    this.timeoutMs = timeoutMs;
    socket.on("message", (data: Uint8Array) => {
      const decoded = decodeOscPacket(data);
      if (!decoded.ok || decoded.packet.kind !== "message") return;
      const answer = answerOf(decoded.packet);
      if (answer !== undefined && this.#waiting?.(answer) === true) this.#waiting = undefined;
    });
    socket.on("error", (error: Error) => {
      this.#failed = error;
    });
  }

  /**
   * Connect a UDP socket to a Chronus (defaults: {@linkcode DEFAULT_OSC_HOST},
   * {@linkcode DEFAULT_OSC_PORT}, {@linkcode DEFAULT_SEND_TIMEOUT_MS}).
   * Nothing is sent yet, so this succeeds whether or not Chronus runs.
   */
  static async open(options: SendOptions = {}): Promise<ChronusConnection> {
    const host = options.host ?? DEFAULT_OSC_HOST;
    const port = options.port ?? DEFAULT_OSC_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`OSC port must be a whole number from 1 to 65535, got ${port}`);
    }
    const socket = createSocket({ type: host.includes(":") ? "udp6" : "udp4" });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("error", reject);
        // Connected: the kernel passes on only datagrams from that host and port.
        socket.connect(port, host, () => {
          socket.off("error", reject);
          resolve();
        });
      });
    } catch (error) {
      socket.close();
      throw new Error(`cannot reach ${host}:${port}: ${errorText(error)}`);
    }
    return new ChronusConnection(
      socket,
      host,
      port,
      options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS,
    );
  }

  /**
   * Send one phrase and wait for its reply. Rejects with
   * {@linkcode NoChronusError} when none comes within the timeout.
   */
  async ask(phrase: string): Promise<OscReply> {
    if (phrase.includes("\0")) {
      return { ok: false, text: "line contains a NUL character, which OSC cannot carry" };
    }
    const bytes = encodeOscMessage(SAY_ADDRESS, [{ type: "s", value: phrase }]);
    if (bytes.length > MAX_DATAGRAM_BYTES) return { ok: false, text: "line too long to send" };
    const answer = await this.#request(bytes, (got) => got.kind === "reply");
    return answer.kind === "reply" ? answer.reply : { ok: false, text: "unexpected answer" };
  }

  /**
   * Ask for the most recent `frames` mono output samples (1 to
   * {@linkcode MAX_SCOPE_FRAMES}, default {@linkcode DEFAULT_SCOPE_FRAMES}).
   * Answers the data, or the error Chronus replied (`ok: false`). Rejects
   * with {@linkcode NoChronusError} when nothing comes within the timeout.
   */
  async scope(frames: number = DEFAULT_SCOPE_FRAMES): Promise<ScopeAnswer> {
    if (!Number.isInteger(frames) || frames < 1 || frames > MAX_SCOPE_FRAMES) {
      throw new RangeError(
        `scope frames must be a whole number from 1 to ${MAX_SCOPE_FRAMES}, got ${frames}`,
      );
    }
    const bytes = encodeOscMessage(SCOPE_ADDRESS, [{ type: "i", value: frames }]);
    const answer = await this.#request(
      bytes,
      (got) => got.kind === "scope" || !got.reply.ok,
    );
    if (answer.kind === "scope") return answer;
    return { ok: false, text: answer.reply.text };
  }

  /** Send `bytes`; resolve with the first answer `wanted` accepts. */
  async #request(bytes: Uint8Array, wanted: (answer: Answer) => boolean): Promise<Answer> {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#waiting !== undefined) throw new Error("one request at a time on a connection");
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await new Promise<Answer>((resolve, reject) => {
        this.#waiting = (answer) => {
          if (!wanted(answer)) return false;
          resolve(answer);
          return true;
        };
        timer = setTimeout(() => {
          this.#waiting = undefined;
          reject(new NoChronusError(this.host, this.port));
        }, this.timeoutMs);
        this.#socket.send(bytes, (error) => {
          if (error) {
            this.#waiting = undefined;
            reject(new Error(`cannot send to ${this.host}:${this.port}: ${errorText(error)}`));
          }
        });
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Close the socket. Safe to call twice. */
  close(): Promise<void> {
    return new Promise<void>((resolve) => {
      try {
        this.#socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

async function withConnection<T>(
  options: SendOptions,
  use: (connection: ChronusConnection) => Promise<T>,
): Promise<T> {
  const connection = await ChronusConnection.open(options);
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

/**
 * Send one phrase to a running Chronus and wait for its reply. Rejects with
 * {@linkcode NoChronusError} when no reply comes within the timeout.
 *
 * @example
 * ```ts ignore
 * import { sendPhrase } from "./osc_client.ts";
 * const reply = await sendPhrase("/mod/sine/freq 440", { port: 57120 });
 * console.log(reply); // { ok: true, text: "sine freq 440 Hz" }
 * ```
 */
export async function sendPhrase(phrase: string, options: SendOptions = {}): Promise<OscReply> {
  return await withConnection(options, (connection) => connection.ask(phrase));
}

/**
 * Ask a running Chronus once for its most recent `options.frames` mono
 * output samples (default {@linkcode DEFAULT_SCOPE_FRAMES}). Rejects with
 * {@linkcode NoChronusError} when no reply comes within the timeout.
 *
 * @example
 * ```ts ignore
 * import { requestScope } from "./osc_client.ts";
 * const answer = await requestScope({ port: 57120, frames: 512 });
 * if (answer.ok) console.log(answer.data.sampleRate, answer.data.samples.length);
 * ```
 */
export async function requestScope(
  options: SendOptions & { readonly frames?: number } = {},
): Promise<ScopeAnswer> {
  return await withConnection(options, (connection) => connection.scope(options.frames));
}

/**
 * The lines the terminal would print for `reply`: `ok  <text>` or
 * `error  <text>`, then its detail lines; nothing for an `ok` with empty
 * text (a blank line or a comment).
 */
export function replyLines(reply: OscReply): string[] {
  if (reply.ok && reply.text === "") return [];
  const [first = "", ...rest] = reply.text.split("\n");
  const details = rest.map((line) => line.startsWith(DETAIL_PREFIX) ? line : DETAIL_PREFIX + line);
  return [(reply.ok ? OK_PREFIX : ERROR_PREFIX) + first, ...details];
}

/** Options of {@linkcode sendLines}. */
export interface SendLinesOptions extends SendOptions {
  /** Prints one output line (no newline). */
  readonly write: (line: string) => void;
}

/** Counts of a finished {@linkcode sendLines}. */
export interface SendLinesResult {
  /** Lines read and sent. */
  readonly lines: number;
  /** Lines answered with `error`, plus one if the input or the connection failed. */
  readonly failures: number;
  /** False when a reply did not come in time (the rest of the input was not sent). */
  readonly reached: boolean;
}

/**
 * Send each line of `lines` in order, waiting for each reply and printing it
 * through `write` ({@linkcode replyLines}). Stops at the first timeout,
 * printing `error  no Chronus listening on …`. Never throws, except what
 * `write` throws.
 *
 * @example
 * ```ts ignore
 * import { sendLines } from "./osc_client.ts";
 * import { linesFromReadable } from "./line_input.ts";
 * const result = await sendLines(linesFromReadable(Deno.stdin.readable), {
 *   write: (line) => console.log(line),
 * });
 * Deno.exit(result.failures > 0 ? 1 : 0);
 * ```
 */
export async function sendLines(
  lines: AsyncIterable<string>,
  options: SendLinesOptions,
): Promise<SendLinesResult> {
  let count = 0;
  let failures = 0;
  let connection: ChronusConnection | undefined;
  try {
    connection = await ChronusConnection.open(options);
  } catch (error) {
    options.write(ERROR_PREFIX + errorText(error));
    return { lines: 0, failures: 1, reached: false };
  }
  let iterator: AsyncIterator<string> | undefined;
  try {
    iterator = lines[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<string>;
      try {
        next = await iterator.next();
      } catch (error) {
        iterator = undefined; // a failed input is not closed again
        options.write(`${ERROR_PREFIX}input failed: ${errorText(error)}`);
        return { lines: count, failures: failures + 1, reached: true };
      }
      if (next.done === true) {
        iterator = undefined;
        return { lines: count, failures, reached: true };
      }
      count++;
      let reply: OscReply;
      try {
        reply = await connection.ask(String(next.value));
      } catch (error) {
        options.write(ERROR_PREFIX + errorText(error));
        return {
          lines: count,
          failures: failures + 1,
          reached: !(error instanceof NoChronusError),
        };
      }
      if (!reply.ok) failures++;
      for (const out of replyLines(reply)) options.write(out);
    }
  } finally {
    await closeQuietly(iterator);
    await connection.close();
  }
}

async function closeQuietly(iterator: AsyncIterator<string> | undefined): Promise<void> {
  try {
    await iterator?.return?.();
  } catch {
    // Nothing is left to report to.
  }
}

/** Where {@linkcode runSendCommand} reads and prints; defaults are stdin, stdout and stderr. */
export interface SendIo {
  /** Lines of standard input, for `send -`. */
  readonly readLines?: () => AsyncIterable<string>;
  /** Prints one answer line to standard output. */
  readonly write?: (line: string) => void;
  /** Prints one message to standard error. */
  readonly error?: (line: string) => void;
}

/** Usage of `chronus send`. */
export const SEND_USAGE = `usage:
  chronus send "<phrase>" [--osc-host H] [--osc-port P] [--timeout MS]
  chronus send - [options]      one phrase per line from stdin

Sends each phrase to a running Chronus and prints its answer: ok  … or error  …
Exit status: 0 all ok, 1 some phrase answered error, 2 usage error, 3 no Chronus answered.`;

/** Exit status of `chronus send` when no Chronus answered in time. */
export const EXIT_NO_CHRONUS = 3;

function portArgument(text: string | undefined): number | string {
  if (text === undefined) return DEFAULT_OSC_PORT;
  const value = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  return value >= 1 && value <= 65535
    ? value
    : `--osc-port must be a whole number from 1 to 65535, got ${JSON.stringify(text)}`;
}

function timeoutArgument(text: string | undefined): number | string {
  if (text === undefined) return DEFAULT_SEND_TIMEOUT_MS;
  const value = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  return value >= 1 && value <= 600000
    ? value
    : `--timeout must be milliseconds from 1 to 600000, got ${JSON.stringify(text)}`;
}

/**
 * Run `chronus send …` with `args` (the words after `send`) and return the
 * exit status: 0 when every phrase answered `ok`, 1 when one answered
 * `error`, 2 for a usage error, {@linkcode EXIT_NO_CHRONUS} (3) when no
 * Chronus answered in time. Several words are joined with spaces into one
 * phrase (`chronus send /mod/sine/freq 440`); `-` alone reads phrases from
 * stdin, one a line. Answers go to `io.write`, usage errors to `io.error`.
 *
 * @example
 * ```ts ignore
 * import { runSendCommand } from "./osc_client.ts";
 * Deno.exit(await runSendCommand(["/status", "--osc-port", "57120"]));
 * ```
 */
export async function runSendCommand(args: readonly string[], io: SendIo = {}): Promise<number> {
  const encoder = new TextEncoder();
  const write = io.write ?? ((line: string) => Deno.stdout.writeSync(encoder.encode(line + "\n")));
  const error = io.error ?? ((line: string) => console.error(line));
  const readLines = io.readLines ?? (() => linesFromReadable(Deno.stdin.readable));
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: {
        "osc-host": { type: "string" },
        "osc-port": { type: "string" },
        timeout: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (problem) {
    error(`chronus send: ${errorText(problem)} (see chronus send --help)`);
    return 2;
  }
  if (values.help === true) {
    write(SEND_USAGE);
    return 0;
  }
  const port = portArgument(values["osc-port"]);
  const timeoutMs = timeoutArgument(values.timeout);
  const problem = typeof port === "string"
    ? port
    : typeof timeoutMs === "string"
    ? timeoutMs
    : positionals.length === 0
    ? 'say what to send: chronus send "<phrase>", or chronus send - to read phrases from stdin'
    : undefined;
  if (problem !== undefined || typeof port === "string" || typeof timeoutMs === "string") {
    error(`chronus send: ${problem} (see chronus send --help)`);
    return 2;
  }
  const host = values["osc-host"] ?? DEFAULT_OSC_HOST;
  const fromStdin = positionals.length === 1 && positionals[0] === "-";
  const lines = fromStdin ? readLines() : single(positionals.join(" "));
  const result = await sendLines(lines, { host, port, timeoutMs, write });
  if (!result.reached) return EXIT_NO_CHRONUS;
  return result.failures > 0 ? 1 : 0;
}

async function* single(phrase: string): AsyncGenerator<string, void, undefined> {
  yield phrase;
}
