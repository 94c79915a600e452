/**
 * Real-time test helpers: JACK's own clients as peers. `jack_rec` records
 * what Chronus plays from its PortAudio ports; signal checks for captures.
 *
 * @module
 */

import { type DecodedWav, decodeWav } from "../engine/wav.ts";

/** JACK ports of Chronus' PortAudio client. */
export const CHRONUS_PORTS = ["PortAudio:out_0", "PortAudio:out_1"] as const;

/** Sleep `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True when a JACK server answers. */
export async function jackRunning(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("jack_lsp", { stdout: "null", stderr: "null" })
      .output();
    return success;
  } catch {
    return false;
  }
}

/** Fail with a clear message when no JACK server runs (bin/test starts one). */
export async function requireJack(): Promise<void> {
  if (!(await jackRunning())) {
    throw new Error(
      "no JACK server is running: run the tests with bin/test, or start `jackd --no-realtime -d dummy -r 48000 -p 128`",
    );
  }
}

/** A `jack_rec` recording in progress. */
export interface Recording {
  /** Resolves with the decoded capture when `jack_rec` has finished. */
  readonly done: Promise<DecodedWav>;
}

/**
 * Start recording `ports` for `seconds` with `jack_rec` (32-bit). The
 * recording starts once jack_rec has connected, tens of ms from now.
 */
export function record(seconds: number, ports: readonly string[] = [CHRONUS_PORTS[0]]): Recording {
  const dir = Deno.makeTempDirSync({ prefix: "chronus-rec-" });
  const file = `${dir}/capture.wav`;
  const child = new Deno.Command("jack_rec", {
    // A large ring buffer (-B, frames) so jack_rec's disk thread never drops periods.
    args: ["-f", file, "-d", String(seconds), "-b", "32", "-B", "1048576", ...ports],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const done = (async () => {
    try {
      const { success, stderr } = await child.output();
      const messages = new TextDecoder().decode(stderr).trim();
      if (!success) throw new Error(`jack_rec failed: ${messages}`);
      if (/overrun/i.test(messages)) throw new Error(`jack_rec dropped audio: ${messages}`);
      return decodeWav(await Deno.readFile(file));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  })();
  return { done };
}

/** Length in samples of the longest run with |x| < `threshold` in [start, end). */
export function longestSilentRun(
  x: ArrayLike<number>,
  threshold: number,
  start = 0,
  end = x.length,
): number {
  let longest = 0;
  let run = 0;
  for (let i = start; i < end; i++) {
    run = Math.abs(x[i] as number) < threshold ? run + 1 : 0;
    if (run > longest) longest = run;
  }
  return longest;
}

/** Largest |x[i] - x[i-1]| in [start, end), and where it is. */
export function largestStep(
  x: ArrayLike<number>,
  start = 1,
  end = x.length,
): { step: number; at: number } {
  let step = 0;
  let at = -1;
  for (let i = Math.max(1, start); i < end; i++) {
    const d = Math.abs((x[i] as number) - (x[i - 1] as number));
    if (d > step) {
      step = d;
      at = i;
    }
  }
  return { step, at };
}

/** Index of the first sample with |x| >= threshold, or -1. */
export function firstSound(x: ArrayLike<number>, threshold: number, start = 0): number {
  for (let i = start; i < x.length; i++) if (Math.abs(x[i] as number) >= threshold) return i;
  return -1;
}
