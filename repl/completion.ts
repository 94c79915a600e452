/**
 * Tab completion for the REPL: addresses (`/inst/lead/filter/cutoff`,
 * `/drums/snare`, `/mix/reverb/size`, …) and the phrase vocabulary.
 *
 * @module
 */

import { ADDRESS_HELP } from "./address_parser.ts";
import { DRUM_NAMES, INSTRUMENT_NAMES } from "./instrument_parser.ts";
import { VOCABULARY } from "./phrase_vocabulary.ts";
import { INSTRUMENT_PARAM_SPECS } from "../dsp/instrument.ts";
import { MIXER_PARAM_SPECS } from "../dsp/mixer.ts";

const DRUM_PARAMS = ["level", "tune", "decay", "tone", "pan"];

/** Every address the REPL knows, sorted. */
export const ALL_ADDRESSES: readonly string[] = [
  ...ADDRESS_HELP.map((h) => h.address),
  ...INSTRUMENT_NAMES.flatMap((name) => [
    ...["note", "off", "panic"].map((what) => `/inst/${name}/${what}`),
    ...INSTRUMENT_PARAM_SPECS.map((spec) => `/inst/${name}/${spec.name}`),
  ]),
  ...DRUM_NAMES.flatMap((drum) => [
    `/drums/${drum}`,
    ...DRUM_PARAMS.map((p) => `/drums/${drum}/${p}`),
  ]),
  ...MIXER_PARAM_SPECS.map((spec) => `/mix/${spec.name}`),
].sort();

const WORDS: readonly string[] = [...new Set([...VOCABULARY, ...INSTRUMENT_NAMES, "state"])].sort();

/**
 * Completions of the last word of `line`, in `node:readline`'s completer
 * form: `[candidates, the text they complete]`. Addresses complete one path
 * segment at a time.
 *
 * @example
 * ```ts
 * import { completeLine } from "./completion.ts";
 * console.log(completeLine("/inst/le")); // [["/inst/lead/"], "/inst/le"]
 * console.log(completeLine("play a C minor ch")[0]); // ["chord", …]
 * ```
 */
export function completeLine(line: string): [string[], string] {
  const start = line.lastIndexOf(" ") + 1;
  const word = line.slice(start);
  if (start === 0 && word.startsWith("/")) {
    const next = new Set<string>();
    for (const address of ALL_ADDRESSES) {
      if (!address.startsWith(word)) continue;
      const slash = address.indexOf("/", word.length);
      next.add(slash < 0 ? address : address.slice(0, slash + 1));
    }
    return [[...next].sort(), word];
  }
  const lower = word.toLowerCase();
  return [WORDS.filter((w) => w.startsWith(lower) && w !== lower), word];
}
