/**
 * What happens after a line's commands reach the engine: the patch model
 * learns them (so relative phrases and `undo` work), and a phrase's timed
 * commands (`play C4 for 2 beats`, scales, `wait`) are sent when due.
 * `stop`, `panic` and friends cancel whatever is still pending.
 *
 * Timing here is the main thread's timers: good to a few ms, which suits
 * note lengths typed at a prompt. Sample-exact sequencing is the musical
 * time work (a scheduler in the engine).
 *
 * @module
 */

import { type CommandSpec, Opcode } from "../engine/command.ts";
import type { EngineControl } from "../engine/control.ts";
import { RACK_ALL_TARGETS } from "../dsp/rack.ts";
import type { CommandsAction } from "./line_session.ts";
import { isPhraseAction, type PatchModel } from "./patch_model.ts";

/**
 * Sends batches of commands later. The default uses the main thread's
 * timers; the offline backend schedules by frames instead.
 */
export interface BatchScheduler {
  /** Send `specs` `afterMs` from now. */
  schedule(afterMs: number, specs: readonly CommandSpec[]): void;
  /** Drop every batch not sent yet. */
  cancelAll(): void;
}

/** Applies accepted actions to the model and plays their timed parts. */
export class Conductor {
  readonly #engine: EngineControl;
  readonly #model: PatchModel;
  readonly #scheduler: BatchScheduler;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  /** Timed batches that could not be sent (the engine refused them). */
  failedBatches = 0;

  /** Conduct `engine`, keeping `model` in step; `scheduler` replaces the timers. */
  constructor(engine: EngineControl, model: PatchModel, scheduler?: BatchScheduler) {
    this.#engine = engine;
    this.#model = model;
    this.#scheduler = scheduler ?? {
      schedule: (afterMs, specs) => this.#timer(afterMs, specs),
      cancelAll: () => {
        for (const timer of this.#timers) clearTimeout(timer);
        this.#timers.clear();
      },
    };
  }

  /** Timed batches still waiting on a timer (the default scheduler). */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * The `afterSend` hook for lines from `source` (each source has its own
   * undo history).
   *
   * @example
   * ```ts ignore
   * const conductor = new Conductor(engine, model);
   * await runLineSession({ engine, parsers, input, write, afterSend: conductor.hook("local") });
   * ```
   */
  hook(source: string): (action: CommandsAction) => void {
    return (action) => this.accepted(action, source);
  }

  /** `action` was sent: update the model, cancel on a stop-everything, schedule its timed parts. */
  accepted(action: CommandsAction, source: string): void {
    if (stopsEverything(action)) this.cancel();
    this.#model.commit(action, source);
    if (!isPhraseAction(action)) return;
    for (const batch of action.later) this.#scheduler.schedule(batch.afterMs, batch.specs);
  }

  /** Drop every pending timed batch. */
  cancel(): void {
    this.#scheduler.cancelAll();
  }

  #timer(afterMs: number, specs: readonly CommandSpec[]): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      try {
        this.#engine.send(specs);
      } catch {
        this.failedBatches++;
      }
    }, afterMs);
    this.#timers.add(timer);
  }
}

/** True for an action that releases every note of every target (stop, silence, panic). */
function stopsEverything(action: CommandsAction): boolean {
  return action.specs.some((spec) =>
    spec.opcode === Opcode.AllNotesOff && (spec.target === RACK_ALL_TARGETS || spec.target === -1)
  );
}

/** How long a script waits after `action` before its next line: the phrase's span. */
export function scriptPace(action: CommandsAction): number {
  return isPhraseAction(action) ? action.spanMs ?? 0 : 0;
}
