/**
 * The line session: read lines, parse each with the first parser that knows
 * it, act on the engine, and answer every command with one line.
 *
 * Output protocol, so that a person, a script or an agent can follow it:
 * each command line gets exactly one result line, `ok  <what it did>` or
 * `error  <what was wrong>`. `/status` and `/help` follow their `ok` line
 * with detail lines indented by two spaces. Blank lines and comments get no
 * answer. Nothing the engine or a parser throws escapes the session.
 *
 * @module
 */

import type { EngineControl } from "../engine/control.ts";
import { formatStatus } from "./format_status.ts";
import { HELP_TEXT } from "./help.ts";
import { errorText, firstParser, type LineAction, type LineParser } from "./line_parser.ts";

/** Prefix of a result line for a command that worked. */
export const OK_PREFIX = "ok  ";
/** Prefix of a result line for a command that failed. */
export const ERROR_PREFIX = "error  ";
/** Prefix of the detail lines that follow a `/status` or `/help` result line. */
export const DETAIL_PREFIX = "  ";

/** What {@linkcode answerLine} needs. */
export interface AnswerOptions {
  /** The engine to act on. */
  readonly engine: EngineControl;
  /** The parser to use, usually {@linkcode firstParser} over several. */
  readonly parse: LineParser;
  /** Text printed by `/help`; defaults to {@linkcode HELP_TEXT}. */
  readonly helpText?: string;
  /**
   * Called after the engine accepted a line's commands (to update a patch
   * model, schedule timed commands, …). Not called when `send` threw.
   */
  readonly afterSend?: (action: CommandsAction) => void;
  /** The patch part of `state` (a patch model's JSON); the engine's status is added to it. */
  readonly patchState?: () => unknown;
}

/** A line action that sends commands. */
export type CommandsAction = Extract<LineAction, { kind: "commands" }>;

/** The answer to one line. */
export interface LineAnswer {
  /** Lines to print: none for a blank line, else a result line and maybe detail lines. */
  readonly output: readonly string[];
  /** True when the result line is an error. */
  readonly failed: boolean;
  /** True when the line asked to end the session. */
  readonly quit: boolean;
  /** The commands action the engine accepted, if the line was one. */
  readonly sent?: CommandsAction;
  /** True when `output` is the one-line JSON state object. */
  readonly state?: boolean;
}

const NOTHING: LineAnswer = { output: [], failed: false, quit: false };

function ok(message: string, details: readonly string[] = []): LineAnswer {
  return {
    output: [OK_PREFIX + message, ...details.map((line) => DETAIL_PREFIX + line)],
    failed: false,
    quit: false,
  };
}

function failure(message: string): LineAnswer {
  return { output: [ERROR_PREFIX + message], failed: true, quit: false };
}

/**
 * Parse one line and act on it. Never throws: an engine that throws gives an
 * `error` answer.
 *
 * @example
 * ```ts ignore
 * import { answerLine } from "./line_session.ts";
 * import { parseAddressLine } from "./address_parser.ts";
 * const answer = answerLine("/mod/sine/freq 440", { engine, parse: parseAddressLine });
 * console.log(answer.output[0]); // ok  sine freq 440 Hz
 * ```
 */
export function answerLine(line: string, options: AnswerOptions): LineAnswer {
  const result = options.parse(line);
  if (!result.ok) return failure(result.error);
  try {
    return act(result.action, options);
  } catch (error) {
    return failure(`${describe(result.action)} failed: ${errorText(error)}`);
  }
}

function act(action: LineAction, options: AnswerOptions): LineAnswer {
  switch (action.kind) {
    case "empty":
      return NOTHING;
    case "commands":
      options.engine.send(action.specs);
      options.afterSend?.(action);
      return { ...ok(action.message), sent: action };
    case "status":
      return ok("status", formatStatus(options.engine.status()).split("\n"));
    case "state":
      return {
        output: [
          JSON.stringify({
            ...stateObject(options.patchState?.()),
            engine: options.engine.status(),
          }),
        ],
        failed: false,
        quit: false,
        state: true,
      };
    case "fault":
      options.engine.injectFault(action.fault, action.slot);
      return ok(`fault ${action.fault} injected into the ${action.slot} slot`);
    case "help":
      return ok("help", (options.helpText ?? HELP_TEXT).split("\n"));
    case "quit":
      return { output: [OK_PREFIX + "bye"], failed: false, quit: true };
  }
}

function stateObject(patch: unknown): Record<string, unknown> {
  return typeof patch === "object" && patch !== null ? { ...patch } : {};
}

function describe(action: LineAction): string {
  switch (action.kind) {
    case "commands":
      return action.message;
    case "fault":
      return `fault ${action.fault} on the ${action.slot} slot`;
    default:
      return action.kind;
  }
}

/** Options of {@linkcode runLineSession}. */
export interface LineSessionOptions {
  /** The engine to act on. */
  readonly engine: EngineControl;
  /**
   * Parsers tried in order; the first that does not answer `"unknown"` wins
   * (see {@linkcode firstParser}).
   */
  readonly parsers: readonly LineParser[];
  /** Lines to read, without their line endings. */
  readonly input: AsyncIterable<string>;
  /** Prints one output line (no newline included); the caller wires it to stdout. */
  readonly write: (line: string) => void;
  /** Text printed by `/help`; defaults to {@linkcode HELP_TEXT}. */
  readonly helpText?: string;
  /** See {@linkcode AnswerOptions.afterSend}. */
  readonly afterSend?: (action: CommandsAction) => void;
  /** See {@linkcode AnswerOptions.patchState}. */
  readonly patchState?: () => unknown;
  /**
   * Answer with exactly one JSON object per input line:
   * `{"ok":…,"input":…,"commands":[…],"message":…}` (or the state object for
   * `state`). The contract for agents and tests.
   */
  readonly json?: boolean;
  /**
   * How long to wait after a line before reading the next, in ms (scripts:
   * `wait 2 beats`, `play C4 for 1 bar`); default: never wait.
   */
  readonly pace?: (action: CommandsAction) => number;
  /**
   * How to wait `ms` for {@linkcode LineSessionOptions.pace}; default a timer.
   * The offline backend renders that much audio instead.
   */
  readonly wait?: (ms: number) => Promise<void> | void;
}

/** Counts of a finished {@linkcode runLineSession}. */
export interface LineSessionResult {
  /** Input lines read, blank lines and comments included. */
  readonly lines: number;
  /** Lines answered with `error` (including a failure of the input itself). */
  readonly failures: number;
  /** True when the session ended on `/quit`, false when the input ended. */
  readonly quit: boolean;
}

/**
 * Read `input` to its end or to `/quit`, answering each line through `write`.
 * Errors from the engine, the parsers and the input are reported as `error`
 * lines and never thrown; only an exception from `write` itself propagates.
 *
 * @example
 * ```ts ignore
 * import { runLineSession } from "./line_session.ts";
 * import { parseAddressLine } from "./address_parser.ts";
 * import { linesFromReadable } from "./line_input.ts";
 * const result = await runLineSession({
 *   engine,
 *   parsers: [parseAddressLine],
 *   input: linesFromReadable(Deno.stdin.readable),
 *   write: (line) => console.log(line),
 * });
 * console.log(result.failures);
 * ```
 */
export async function runLineSession(options: LineSessionOptions): Promise<LineSessionResult> {
  const parse = firstParser(options.parsers);
  const answerOptions: AnswerOptions = {
    engine: options.engine,
    parse,
    ...(options.helpText === undefined ? {} : { helpText: options.helpText }),
    ...(options.afterSend === undefined ? {} : { afterSend: options.afterSend }),
    ...(options.patchState === undefined ? {} : { patchState: options.patchState }),
  };
  const pace = options.pace;
  let lines = 0;
  let failures = 0;
  let iterator: AsyncIterator<string> | undefined;
  let open = false; // true while the input may hold resources that `return` releases
  try {
    iterator = options.input[Symbol.asyncIterator]();
    for (;;) {
      open = false;
      const next = await iterator.next();
      if (next.done === true) return { lines, failures, quit: false };
      open = true;
      lines++;
      const line = String(next.value);
      const answer = answerLine(line, answerOptions);
      if (answer.failed) failures++;
      if (options.json === true) options.write(jsonAnswer(line, answer));
      else for (const out of answer.output) options.write(out);
      if (answer.quit) return { lines, failures, quit: true };
      if (pace !== undefined && answer.sent !== undefined) {
        const ms = pace(answer.sent);
        if (ms > 0) {
          await (options.wait?.(ms) ?? new Promise((resolve) => setTimeout(resolve, ms)));
        }
      }
    }
  } catch (error) {
    if (open) throw error; // from `write`: the caller's output is broken
    failures++;
    options.write(`${ERROR_PREFIX}input failed: ${errorText(error)}`);
    return { lines, failures, quit: false };
  } finally {
    if (open) await closeQuietly(iterator);
  }
}

/**
 * The one JSON line answering `input` in `--json` mode: the state object for
 * `state`, else `{"ok","input","commands","message"}` where `message` is the
 * answer without its `ok`/`error` prefix (detail lines joined by newlines).
 *
 * @example
 * ```ts ignore
 * jsonAnswer("/inst/lead/note C4", answer);
 * // {"ok":true,"input":"/inst/lead/note C4","commands":[{"opcode":4,…}],"message":"lead note C4 (60) velocity 0.8"}
 * ```
 */
export function jsonAnswer(input: string, answer: LineAnswer): string {
  if (answer.state === true) return answer.output[0] ?? "{}";
  const [first = "", ...details] = answer.output;
  const head = first.startsWith(OK_PREFIX)
    ? first.slice(OK_PREFIX.length)
    : first.startsWith(ERROR_PREFIX)
    ? first.slice(ERROR_PREFIX.length)
    : first;
  const message = [head, ...details.map((line) => line.slice(DETAIL_PREFIX.length))].join("\n");
  const commands = answer.sent?.specs ?? [];
  return JSON.stringify({ ok: !answer.failed, input, commands, message });
}

async function closeQuietly(iterator: AsyncIterator<string> | undefined): Promise<void> {
  try {
    await iterator?.return?.();
  } catch {
    // The session is over; an input that fails to close has nothing left to report.
  }
}
