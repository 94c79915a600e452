/**
 * The help text: every command with its argument, range and an example.
 *
 * @module
 */

import { ADDRESS_HELP, type AddressHelp } from "./address_parser.ts";
import { INSTRUMENT_HELP } from "./instrument_parser.ts";

/**
 * Format help entries as aligned lines: usage, summary, and an example.
 *
 * @example
 * ```ts
 * import { formatHelp } from "./help.ts";
 * import { ADDRESS_HELP } from "./address_parser.ts";
 * console.log(formatHelp(ADDRESS_HELP));
 * ```
 */
export function formatHelp(entries: readonly AddressHelp[]): string {
  const width = Math.max(0, ...entries.map((entry) => entry.usage.length));
  const lines = entries.map((entry) => {
    const example = entry.example === entry.usage ? "" : `  (e.g. ${entry.example})`;
    return `${entry.usage.padEnd(width)}  ${entry.summary}${example}`;
  });
  return lines.join("\n");
}

/** The full help text of the line REPL: every address command with an example. */
export const HELP_TEXT: string = [
  "Commands, one per line (blank lines and # comments are ignored):",
  formatHelp(ADDRESS_HELP),
  "Instruments, drums and mixer:",
  ...INSTRUMENT_HELP.map((h) => `${h.usage}  ${h.summary}`),
  "Phrases (say `help <topic>` for more: notes, chords, timbre, effects, time, control):",
  "  play C4 · play a C minor chord · Cm7 · play the D dorian scale · play C4 for 2 beats",
  "  lead: saw, cutoff 1200 · on bass: play C2 · brighter · a bit darker · more resonance",
  "  pluck · legato · attack 10ms · louder · volume 50% · ff · add reverb · more delay · dry",
  "  tempo 120 · faster · wait 2 beats · mute bass · solo lead · panic · undo · what is playing",
  "  state --json (the whole state as one JSON object)",
  "Each command answers one line: 'ok  <what it did>' or 'error  <what was wrong>'.",
].join("\n");
