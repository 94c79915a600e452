/**
 * The session log: every accepted line of a live session with its time,
 * one per line after a header, in `<data dir>/logs/<start time>.log`:
 *
 * ```
 * # chronus log 1
 * 0	tempo 100
 * 1520	bass: seq c2 ~ c2 eb2
 * 4033	add reverb
 * ```
 *
 * {@linkcode logScript} turns a log back into a phrase script (each line
 * after a `wait` for the time between), which `chronus replay` plays in real
 * time and `chronus render` renders offline: the performance again.
 *
 * @module
 */

/** First line of every log. */
export const LOG_HEADER = "# chronus log 1";

/** Appends accepted lines with their time since the log began. */
export class SessionLog {
  /** The log file. */
  readonly file: string;
  readonly #start = performance.now();
  #failed = false;

  /**
   * A new log in `folder` named after the current time (the folder is
   * created). A log that cannot be written warns once on stderr and stops.
   */
  constructor(folder: string) {
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    this.file = `${folder}/${stamp}.log`;
    this.#append(`${LOG_HEADER}\n`, folder);
  }

  /** Record `line` (accepted just now). Never throws. */
  record(line: string): void {
    const ms = Math.round(performance.now() - this.#start);
    this.#append(`${ms}\t${line.replace(/[\r\n\t]/g, " ")}\n`);
  }

  #append(text: string, folder?: string): void {
    if (this.#failed) return;
    try {
      if (folder !== undefined) Deno.mkdirSync(folder, { recursive: true });
      Deno.writeTextFileSync(this.file, text, { append: true });
    } catch (error) {
      this.#failed = true;
      console.error(`chronus: no session log: ${(error as Error).message}`);
    }
  }
}

/** True when `text` is a session log (it starts with {@linkcode LOG_HEADER}). */
export function isLog(text: string): boolean {
  return text.startsWith(LOG_HEADER);
}

/**
 * The phrase script of a log: its lines in order, each after a `wait <n> ms`
 * for the time since the line before (the first at once).
 * @throws {RangeError} naming the first line that is not `<ms>\t<phrase>`.
 */
export function logScript(text: string): string[] {
  const out: string[] = [];
  let last = -1; // the first line plays at once: the time before it is not the music
  text.split("\n").forEach((raw, i) => {
    const line = raw.trimEnd();
    if (i === 0 || line === "" || line.startsWith("#")) return;
    const m = /^(\d{1,10})\t(.+)$/.exec(line);
    if (m === null) {
      throw new RangeError(`log line ${i + 1} is not "<ms><tab><phrase>": ${line.slice(0, 60)}`);
    }
    const ms = Number(m[1]);
    if (ms < last) throw new RangeError(`log line ${i + 1} goes back in time (${ms} < ${last} ms)`);
    if (last >= 0 && ms > last) out.push(`wait ${ms - last}ms`);
    out.push(m[2] as string);
    last = ms;
  });
  return out;
}
