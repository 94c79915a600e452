/**
 * Autosave of the jam: the session (patch_store.ts, phrase_patch.ts) saved
 * as `autosave` every half minute while it changes and once more when
 * Chronus stops, so a crash loses at most the last half minute; at the next
 * start Chronus offers it back (`load session autosave`).
 *
 * @module
 */

import type { PatchModel } from "./patch_model.ts";
import { type PatchStore, PatchStoreError } from "./patch_store.ts";
import { sessionLines } from "./phrase_patch.ts";

/** Name of the autosaved session. */
export const AUTOSAVE_NAME = "autosave";

/** Options of {@linkcode Autosave}. */
export interface AutosaveOptions {
  /** Time between saves while the jam changes, in ms; default 30 000. */
  readonly intervalMs?: number;
  /** Where a failed save is reported (one line); default stderr. */
  readonly warn?: (line: string) => void;
}

/** Saves `model` as the `autosave` session in `store` while it changes, and when stopped. */
export class Autosave {
  readonly #store: PatchStore;
  readonly #model: PatchModel;
  readonly #intervalMs: number;
  readonly #warn: (line: string) => void;
  #last = "";
  #timer: ReturnType<typeof setInterval> | undefined;

  /** An autosave of `model` into `store` (not started). */
  constructor(store: PatchStore, model: PatchModel, options: AutosaveOptions = {}) {
    this.#store = store;
    this.#model = model;
    this.#intervalMs = options.intervalMs ?? 30_000;
    this.#warn = options.warn ?? ((line) => console.error(line));
    // What a fresh start holds is not worth a save (nor overwriting the last jam).
    this.#last = JSON.stringify(sessionLines(model));
  }

  /**
   * A one-line offer of the last autosaved session, or undefined when there
   * is none: when it was saved and how to bring it back.
   */
  static offer(store: PatchStore): string | undefined {
    try {
      const info = Deno.statSync(`${store.sessionFolder}/${AUTOSAVE_NAME}.json`);
      const when = info.mtime?.toLocaleString() ?? "earlier";
      return `chronus: your last jam was autosaved (${when}); \`load session ${AUTOSAVE_NAME}\` brings it back`;
    } catch {
      return undefined;
    }
  }

  /** Save every interval while the jam changes (the timer does not keep Chronus running). */
  start(): void {
    if (this.#timer !== undefined) return;
    const timer = setInterval(() => this.save(), this.#intervalMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /**
   * Save now if the jam changed since the last save. Returns true when it
   * saved; a failure is one warning line, never an exception.
   */
  save(): boolean {
    const lines = sessionLines(this.#model);
    const text = JSON.stringify(lines);
    if (text === this.#last) return false;
    try {
      this.#store.saveSession(AUTOSAVE_NAME, lines);
      this.#last = text;
      return true;
    } catch (error) {
      const why = error instanceof PatchStoreError ? error.message : String(error);
      this.#warn(`chronus: autosave failed: ${why}`);
      return false;
    }
  }

  /** Stop the timer and save a last time. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.save();
  }
}
