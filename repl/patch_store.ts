/**
 * The patch library on disk: one readable JSON file per instrument sound in
 * `<data dir>/patches/<name>.json`, checked against a schema (valibot) with
 * a format tag and version. Writes are atomic (a temporary file in the same
 * folder, then a rename), so a reader sees the old file or the new one,
 * never half of either; a file that does not read (broken JSON, a wrong
 * field, an unknown parameter) gets a one-line error naming the problem and
 * is never overwritten by a save. The factory patches (factory_patches.ts)
 * answer for names the user has not saved.
 *
 * Synchronous on purpose: a phrase applies completely or not at all, and
 * these files are a few hundred bytes.
 *
 * ```json
 * {
 *   "chronus": "patch",
 *   "version": 1,
 *   "name": "my-bass",
 *   "params": { "osc/wave": 1, "filter/cutoff": 500, … }
 * }
 * ```
 *
 * @module
 */

import * as v from "valibot";
import { INSTRUMENT_PARAM_SPECS } from "../dsp/instrument.ts";
import { FACTORY_PATCHES } from "./factory_patches.ts";

/** Format version written by this Chronus (and the only one it reads). */
export const PATCH_VERSION = 1;

/** What a patch name may be: a letter or digit, then up to 39 letters, digits, `-` or `_`. */
export const PATCH_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/** Instrument parameters a patch holds: the sound, not its place in the mix (gain, pan). */
export const PATCH_PARAMS: readonly string[] = INSTRUMENT_PARAM_SPECS
  .map((s) => s.name)
  .filter((name) => name !== "gain" && name !== "pan");

const SPECS = new Map(INSTRUMENT_PARAM_SPECS.map((s) => [s.name, s]));

const SessionFile = v.object({
  chronus: v.literal("session"),
  version: v.literal(PATCH_VERSION),
  name: v.pipe(v.string(), v.regex(PATCH_NAME)),
  lines: v.pipe(v.array(v.pipe(v.string(), v.maxLength(2000))), v.maxLength(5000)),
});

const PatchFile = v.object({
  chronus: v.literal("patch"),
  version: v.literal(PATCH_VERSION),
  name: v.pipe(v.string(), v.regex(PATCH_NAME)),
  params: v.record(v.string(), v.pipe(v.number(), v.finite())),
});

/** A patch: its name and the value of every parameter it holds, by name. */
export interface Patch {
  /** The patch's name. */
  readonly name: string;
  /** Parameter values by name (every one of {@linkcode PATCH_PARAMS}). */
  readonly params: Readonly<Record<string, number>>;
  /** True for a factory patch (shipped, read-only). */
  readonly factory: boolean;
}

/** A patch library problem, with a one-line message for the user. */
export class PatchStoreError extends Error {
  /** @param message what went wrong, naming the file or the patch. */
  constructor(message: string) {
    super(message);
    this.name = "PatchStoreError";
  }
}

/** The default data folder: `$CHRONUS_DATA_DIR`, else `$XDG_DATA_HOME/chronus`, else `~/.local/share/chronus`. */
export function defaultDataDir(): string {
  const env = (name: string) => {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined;
    }
  };
  const own = env("CHRONUS_DATA_DIR");
  if (own !== undefined && own !== "") return own;
  const xdg = env("XDG_DATA_HOME");
  if (xdg !== undefined && xdg !== "") return `${xdg}/chronus`;
  return `${env("HOME") ?? "."}/.local/share/chronus`;
}

function checkName(name: string): string {
  if (!PATCH_NAME.test(name)) {
    throw new PatchStoreError(
      `patch name "${name.slice(0, 40)}" must be lower-case letters, digits, - or _ (up to 40)`,
    );
  }
  return name;
}

/** Every patch parameter: `values` where given, else the parameter's initial value. */
function complete(values: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of PATCH_PARAMS) out[name] = values[name] ?? SPECS.get(name)?.initial ?? 0;
  return out;
}

/** The text of a patch file: stable key order, two-space indent, a final newline. */
export function patchText(name: string, params: Readonly<Record<string, number>>): string {
  const ordered: Record<string, number> = {};
  for (const key of PATCH_PARAMS) if (key in params) ordered[key] = params[key] as number;
  return `${
    JSON.stringify({ chronus: "patch", version: PATCH_VERSION, name, params: ordered }, null, 2)
  }\n`;
}

/** `text` as JSON checked against `schema` (a `what` file), or a one-line error naming `file`. */
function readJson<T extends v.GenericSchema>(
  schema: T,
  text: string,
  file: string,
  what: string,
): v.InferOutput<T> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new PatchStoreError(`${file} is not valid JSON (${why}); fix or delete it`);
  }
  const result = v.safeParse(schema, json);
  if (!result.success) {
    const issue = result.issues[0];
    const where = issue === undefined ? "" : v.getDotPath(issue) ?? "";
    const at = where === "" ? "" : `${where}: `;
    throw new PatchStoreError(
      `${file} is not a Chronus ${what} (${at}${issue?.message}); fix or delete it`,
    );
  }
  return result.output;
}

/**
 * Read a patch file's `text` (the file is `file`, for messages).
 * @throws {PatchStoreError} naming what is wrong.
 */
export function readPatchText(text: string, file: string): Patch {
  const { name, params } = readJson(PatchFile, text, file, "patch");
  for (const [key, value] of Object.entries(params)) {
    const spec = SPECS.get(key);
    if (spec === undefined || !PATCH_PARAMS.includes(key)) {
      throw new PatchStoreError(`${file}: "${key}" is not a patch parameter; fix or delete it`);
    }
    if (!(value >= spec.min && value <= spec.max)) {
      throw new PatchStoreError(
        `${file}: ${key} ${value} is outside ${spec.min}..${spec.max}; fix or delete it`,
      );
    }
  }
  return { name, params: complete(params), factory: false };
}

/** The user's patch library in `<dataDir>/patches`, with the factory patches behind it. */
export class PatchStore {
  /** The data folder. */
  readonly dataDir: string;

  /** A library in `dataDir` (created on the first save). */
  constructor(dataDir: string = defaultDataDir()) {
    this.dataDir = dataDir;
  }

  /** The folder of the patch files. */
  get folder(): string {
    return `${this.dataDir}/patches`;
  }

  #file(name: string): string {
    return `${this.folder}/${checkName(name)}.json`;
  }

  /** The text of `file`, or undefined when there is none. @throws {PatchStoreError} if it cannot be read. */
  #text(file: string): string | undefined {
    try {
      return Deno.readTextFileSync(file);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return undefined;
      throw new PatchStoreError(`cannot read ${file}: ${(error as Error).message}`);
    }
  }

  /** Write `text` to `file` in `folder` atomically (a temp file, then rename). */
  #write(folder: string, file: string, text: string): void {
    const temp = `${file}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
    try {
      Deno.mkdirSync(folder, { recursive: true });
      Deno.writeTextFileSync(temp, text);
      Deno.renameSync(temp, file);
    } catch (error) {
      try {
        Deno.removeSync(temp);
      } catch {
        // nothing was written
      }
      throw new PatchStoreError(`cannot save ${file}: ${(error as Error).message}`);
    }
  }

  /** The user's patch `name`, or undefined when there is no such file. @throws {PatchStoreError} if it does not read. */
  #readUser(name: string): Patch | undefined {
    const file = this.#file(name);
    const text = this.#text(file);
    return text === undefined ? undefined : readPatchText(text, file);
  }

  /** The folder of the session files. */
  get sessionFolder(): string {
    return `${this.dataDir}/sessions`;
  }

  #sessionFile(name: string): string {
    return `${this.sessionFolder}/${checkName(name)}.json`;
  }

  /**
   * Save session `name`: the phrase `lines` that bring the jam back.
   * Refuses to replace a session file that does not read.
   * @throws {PatchStoreError} for a bad name, a broken existing file, or a write that fails.
   * @returns the file written.
   */
  saveSession(name: string, lines: readonly string[]): string {
    const file = this.#sessionFile(name);
    const old = this.#text(file);
    if (old !== undefined) readJson(SessionFile, old, file, "session");
    const json = { chronus: "session", version: PATCH_VERSION, name, lines };
    this.#write(this.sessionFolder, file, `${JSON.stringify(json, null, 2)}\n`);
    return file;
  }

  /**
   * The phrase lines of session `name`.
   * @throws {PatchStoreError} for a bad name, a missing session or a file that does not read.
   */
  loadSession(name: string): string[] {
    const file = this.#sessionFile(name);
    const text = this.#text(file);
    if (text === undefined) {
      throw new PatchStoreError(`no session "${name}" (in ${this.sessionFolder})`);
    }
    return readJson(SessionFile, text, file, "session").lines;
  }

  /**
   * The patch `name`: the user's, else the factory's.
   * @throws {PatchStoreError} for a bad name, a file that does not read, or no such patch.
   */
  load(name: string): Patch {
    const user = this.#readUser(name);
    if (user !== undefined) return user;
    const factory = FACTORY_PATCHES.get(name);
    if (factory !== undefined) return { name, params: complete(factory), factory: true };
    const near = this.list().filter((n) => n.startsWith(name.slice(0, 2))).slice(0, 4);
    throw new PatchStoreError(
      `no patch "${name}"${
        near.length > 0 ? ` — did you mean ${near.join(", ")}?` : ""
      } (list patches)`,
    );
  }

  /**
   * Save `params` as the user's patch `name`, atomically. Refuses to replace
   * a file that does not read (it may be a hand edit worth keeping).
   * @throws {PatchStoreError} for a bad name, a broken existing file, or a write that fails.
   * @returns the file written.
   */
  save(name: string, params: Readonly<Record<string, number>>): string {
    const file = this.#file(name);
    this.#readUser(name); // throws for a broken file: never overwritten
    this.#write(this.folder, file, patchText(name, complete(params)));
    return file;
  }

  /**
   * Delete the user's patch `name`.
   * @throws {PatchStoreError} for a factory-only or missing patch, or a folder that refuses.
   */
  delete(name: string): void {
    const file = this.#file(name);
    try {
      Deno.removeSync(file);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new PatchStoreError(
          FACTORY_PATCHES.has(name)
            ? `"${name}" is a factory patch; only your own patches can be deleted`
            : `no patch "${name}" to delete (list patches)`,
        );
      }
      throw new PatchStoreError(`cannot delete ${file}: ${(error as Error).message}`);
    }
  }

  /** Names of every patch: the user's (files named `<name>.json`), then the factory's, sorted. */
  list(): string[] {
    const user: string[] = [];
    try {
      for (const entry of Deno.readDirSync(this.folder)) {
        const m = /^(.+)\.json$/.exec(entry.name);
        if (entry.isFile && m !== null && PATCH_NAME.test(m[1] as string)) {
          user.push(m[1] as string);
        }
      }
    } catch {
      // no folder yet: no user patches
    }
    return [...new Set([...user, ...FACTORY_PATCHES.keys()])].sort();
  }

  /** Names of the saved sessions (`autosave` among them once Chronus has run), sorted. */
  listSessions(): string[] {
    const names: string[] = [];
    try {
      for (const entry of Deno.readDirSync(this.sessionFolder)) {
        const m = /^(.+)\.json$/.exec(entry.name);
        if (entry.isFile && m !== null && PATCH_NAME.test(m[1] as string)) {
          names.push(m[1] as string);
        }
      }
    } catch {
      // no folder yet: no sessions
    }
    return names.sort();
  }

  /** Names of the user's own patches. */
  userPatches(): string[] {
    return this.list().filter((name) => {
      try {
        Deno.statSync(this.#file(name));
        return true;
      } catch {
        return false;
      }
    });
  }
}
