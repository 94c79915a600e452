/**
 * The slot supervisor, in the main isolate: spawns one DSP worker per slot,
 * detects a worker's error, exit or hang, respawns it bound to the same
 * buffers, restores its state from the healthy slot through a snapshot, and
 * only marks it standby again once its blocks are sample-identical to the
 * healthy slot's.
 *
 * Switching the played slot is not its job: the audio callback does that on
 * the spot when the active ring runs dry (see `block_reader.ts`).
 *
 * @module
 */

import type { AudioRing } from "./audio_ring.ts";
import type { CommandQueue } from "./command_queue.ts";
import { type ControlBlock, I, SlotState } from "./_control.ts";
import type { SlotInit, SlotMessage, SlotStart } from "./_slot_init.ts";

/** Something the supervisor noticed or did. */
export interface SlotEvent {
  /** What happened. */
  readonly type: "down" | "respawned" | "restored" | "ready" | "resync" | "cold-start";
  /** Slot index. */
  readonly slot: number;
  /** Human-readable detail, e.g. the reason a slot went down. */
  readonly detail: string;
}

/** Options of {@linkcode SlotSupervisor}. */
export interface SupervisorOptions {
  /** Shared buffers and settings every worker of a slot is bound to. */
  readonly slotInit: (slot: number, token: number, start: SlotStart) => SlotInit;
  /** The engine's control block. */
  readonly control: ControlBlock;
  /** Both slots' rings. */
  readonly rings: readonly AudioRing[];
  /** Both slots' command queues. */
  readonly queues: readonly CommandQueue[];
  /** Latest parameter values by id, to cold-start a slot when both are down. */
  readonly currentParams: () => readonly number[];
  /** A slot whose heartbeat has not moved for this long is hung, in ms (default 40). */
  readonly hangMs?: number;
  /** Called for every event (from the main isolate's event loop). */
  readonly onEvent?: (event: SlotEvent) => void;
}

interface SlotRecord {
  worker: Worker | undefined;
  generation: number;
  heartbeat: number;
  heartbeatAt: number;
  late: number;
  /** Commands are broadcast to this slot's queue. */
  accepting: boolean;
  /** The worker reported `bound`: its heartbeat is watched from then on. */
  bound: boolean;
  /** When the worker was spawned (performance.now()). */
  spawnedAt: number;
  /**
   * The block a restoring worker restarted from, once it reports it; until
   * then the ring still holds the previous worker's blocks, which prove nothing.
   */
  restoredFrom: number;
}

/** A spawned worker that has not bound within this many ms is replaced. */
const START_TIMEOUT_MS = 10000;

/**
 * How long the first two workers may take to start, in ms. Longer than a
 * respawn: under `deno test` the first spawn type-checks the worker's module
 * graph, which takes over 10 s on a busy 2-core machine with a cold cache.
 */
const FIRST_START_MS = 60000;

/** Degraded mode lasts this long after both slots are ready again, in ms. */
const DEGRADED_HOLD_MS = 500;

/** Heartbeat timeout of a slot whose partner is not ready (so replacing it means silence), in ms. */
const LAST_SLOT_HANG_MS = 1000;

/** How often the supervisor checks heartbeats and restores, in ms. */
const POLL_MS = 5;

/** Supervises the two DSP slots. All methods run in the main isolate. */
export class SlotSupervisor {
  readonly #options: SupervisorOptions;
  readonly #ints: Int32Array;
  readonly #slots: SlotRecord[];
  readonly #hangMs: number;
  #timer: number | undefined;
  #diverged = 0;
  #stopped = false;
  #healthySince = 0;

  /** Create a supervisor; call {@linkcode SlotSupervisor.start} to spawn the workers. */
  constructor(options: SupervisorOptions) {
    this.#options = options;
    this.#ints = options.control.ints;
    this.#hangMs = options.hangMs ?? 40;
    this.#slots = [0, 1].map(() => ({
      worker: undefined,
      generation: 0,
      heartbeat: 0,
      heartbeatAt: 0,
      late: 0,
      accepting: false,
      bound: false,
      spawnedAt: 0,
      restoredFrom: -1,
    }));
  }

  /** Spawn both workers from the initial state and wait until both are bound. */
  async start(): Promise<void> {
    const bound = [0, 1].map((slot) =>
      new Promise<void>((resolve, reject) => {
        const worker = this.#spawn(slot, { kind: "fresh", startBlock: 0, params: [] });
        const timeout = setTimeout(
          () =>
            reject(new Error(`DSP slot ${slot} did not start within ${FIRST_START_MS / 1000} s`)),
          FIRST_START_MS,
        );
        worker.addEventListener("message", (event: MessageEvent<SlotMessage>) => {
          if (event.data.type === "bound") {
            clearTimeout(timeout);
            resolve();
          }
        });
      })
    );
    await Promise.all(bound);
    Atomics.store(this.#ints, I.Health + 0, SlotState.Ready);
    Atomics.store(this.#ints, I.Health + 1, SlotState.Ready);
    this.#timer = setInterval(() => this.#poll(), POLL_MS) as unknown as number;
  }

  /** True when commands are broadcast to `slot`'s queue. */
  accepting(slot: number): boolean {
    return this.#slots[slot]?.accepting ?? false;
  }

  /** How many workers `slot` has had. */
  generation(slot: number): number {
    return this.#slots[slot]?.generation ?? 0;
  }

  /** Kill `slot`'s worker as a crash would, then respawn and restore it. */
  kill(slot: number): void {
    this.#fail(slot, "killed");
  }

  /** Stop supervising and terminate both workers. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    for (const [slot, record] of this.#slots.entries()) {
      Atomics.add(this.#ints, I.Owner + slot, 1);
      record.worker?.terminate();
      record.worker = undefined;
      record.accepting = false;
    }
  }

  #emit(type: SlotEvent["type"], slot: number, detail: string): void {
    this.#options.onEvent?.({ type, slot, detail });
  }

  #spawn(slot: number, start: SlotStart): Worker {
    const record = this.#slots[slot] as SlotRecord;
    const worker = new Worker(new URL("./dsp_worker.ts", import.meta.url), {
      type: "module",
      name: `chronus-dsp-${slot}`,
    });
    record.worker = worker;
    record.generation++;
    const token = Atomics.add(this.#ints, I.Owner + slot, 1) + 1;
    record.bound = false;
    record.accepting = false;
    record.spawnedAt = performance.now();
    record.restoredFrom = -1;
    record.heartbeat = Atomics.load(this.#ints, I.Heartbeat + slot);
    record.heartbeatAt = performance.now();
    record.late = Atomics.load(this.#ints, I.Late + slot);
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      if (record.worker === worker) this.#fail(slot, `error: ${event.message}`);
    });
    worker.addEventListener("message", (event: MessageEvent<SlotMessage>) => {
      if (record.worker === worker) this.#onMessage(slot, event.data);
    });
    worker.postMessage(this.#options.slotInit(slot, token, start));
    return worker;
  }

  #onMessage(slot: number, message: SlotMessage): void {
    const record = this.#slots[slot] as SlotRecord;
    if (message.type === "bound") {
      record.bound = true;
      record.heartbeat = Atomics.load(this.#ints, I.Heartbeat + slot);
      record.heartbeatAt = performance.now();
      if (Atomics.load(this.#ints, I.Health + slot) !== SlotState.Restoring) {
        record.accepting = true;
        if (this.#timer !== undefined) Atomics.store(this.#ints, I.Health + slot, SlotState.Ready);
        return;
      }
      // From now on every command reaches this slot too; ask the healthy slot
      // for a snapshot at a block no command sent before now can be stamped after.
      record.accepting = true;
      const source = 1 - slot;
      const begun = Atomics.load(this.#ints, I.Begun + source);
      Atomics.store(this.#ints, I.SnapSource, source);
      Atomics.store(this.#ints, I.SnapRequest, begun + 1);
    } else if (message.type === "restored") {
      record.restoredFrom = message.block;
      this.#emit("restored", slot, `from a snapshot at block ${message.block}`);
    }
  }

  #fail(slot: number, reason: string): void {
    if (this.#stopped) return;
    const record = this.#slots[slot] as SlotRecord;
    // Revoke ownership first: a worker stuck in a loop cannot be terminated by
    // Deno, but it checks its token and leaves without touching the ring.
    Atomics.add(this.#ints, I.Owner + slot, 1);
    record.worker?.terminate();
    record.worker = undefined;
    record.accepting = false;
    Atomics.store(this.#ints, I.Degraded, 1);
    Atomics.store(this.#ints, I.Health + slot, SlotState.Down);
    this.#emit("down", slot, reason);
    const other = 1 - slot;
    if (Atomics.load(this.#ints, I.Health + other) !== SlotState.Ready) {
      // The other slot is itself being restored; it restarts this one when ready.
      return;
    }
    this.#restore(slot);
  }

  #restore(slot: number): void {
    Atomics.store(this.#ints, I.SnapRequest, -1);
    Atomics.store(this.#ints, I.SnapDone, -1);
    Atomics.store(this.#ints, I.Health + slot, SlotState.Restoring);
    this.#spawn(slot, { kind: "restore" });
    this.#emit("respawned", slot, `generation ${this.generation(slot)}`);
  }

  #poll(): void {
    const now = performance.now();
    for (let slot = 0; slot < 2; slot++) {
      const record = this.#slots[slot] as SlotRecord;
      if (record.worker === undefined) continue;
      if (!record.bound) {
        if (now - record.spawnedAt > START_TIMEOUT_MS) this.#fail(slot, "did not start in time");
        continue;
      }
      const beat = Atomics.load(this.#ints, I.Heartbeat + slot);
      // Replacing the only slot that plays would cost a gap: a slot whose
      // partner is not ready is given much longer, since a busy machine can
      // delay a healthy worker's heartbeat by tens of milliseconds.
      const partnerReady = Atomics.load(this.#ints, I.Health + 1 - slot) === SlotState.Ready;
      const hangMs = partnerReady ? this.#hangMs : Math.max(this.#hangMs, LAST_SLOT_HANG_MS);
      if (beat !== record.heartbeat) {
        record.heartbeat = beat;
        record.heartbeatAt = now;
      } else if (now - record.heartbeatAt > hangMs) {
        this.#fail(slot, `hung (no heartbeat for ${Math.round(now - record.heartbeatAt)} ms)`);
        continue;
      }
      const health = Atomics.load(this.#ints, I.Health + slot);
      if (health === SlotState.Restoring) this.#checkRestored(slot);
      const late = Atomics.load(this.#ints, I.Late + slot);
      if (late !== record.late) {
        record.late = late;
        this.#resyncStandby(`slot ${slot} got a command late`);
      }
    }
    const diverged = Atomics.load(this.#ints, I.Diverged);
    if (diverged !== this.#diverged) {
      this.#diverged = diverged;
      this.#resyncStandby(`slots diverged at block ${Atomics.load(this.#ints, I.DivergedAt)}`);
    }
    this.#respawnMissing();
    this.#updateDegraded(now);
  }

  /** Leave degraded mode once both slots have been ready for a while. */
  #updateDegraded(now: number): void {
    const ready = Atomics.load(this.#ints, I.Health) === SlotState.Ready &&
      Atomics.load(this.#ints, I.Health + 1) === SlotState.Ready;
    if (!ready) {
      this.#healthySince = now;
      Atomics.store(this.#ints, I.Degraded, 1);
    } else if (now - this.#healthySince > DEGRADED_HOLD_MS) {
      Atomics.store(this.#ints, I.Degraded, 0);
    }
  }

  /** Restore a slot without a worker from the healthy one; cold-start one when both are gone. */
  #respawnMissing(): void {
    const [first, second] = this.#slots as [SlotRecord, SlotRecord];
    if (first.worker === undefined && second.worker === undefined) {
      const params = this.#options.currentParams();
      this.#spawn(0, { kind: "fresh", startBlock: -1, params });
      this.#emit("cold-start", 0, "both slots were down; starting from the last parameter values");
      return;
    }
    for (let slot = 0; slot < 2; slot++) {
      const other = 1 - slot;
      if (
        this.#slots[slot]?.worker === undefined &&
        Atomics.load(this.#ints, I.Health + other) === SlotState.Ready
      ) this.#restore(slot);
    }
  }

  #resyncStandby(reason: string): void {
    const active = Atomics.load(this.#ints, I.Active);
    const standby = 1 - active;
    if (Atomics.load(this.#ints, I.Health + standby) !== SlotState.Ready) return;
    if (Atomics.load(this.#ints, I.Health + active) !== SlotState.Ready) return;
    this.#emit("resync", standby, reason);
    this.#fail(standby, reason);
  }

  /** A restoring slot is ready once its newest block matches the healthy slot's. */
  #checkRestored(slot: number): void {
    const other = 1 - slot;
    const from = (this.#slots[slot] as SlotRecord).restoredFrom;
    if (from < 0) return;
    const ring = this.#options.rings[slot] as AudioRing;
    const healthy = this.#options.rings[other] as AudioRing;
    const newest = ring.written - 1;
    if (newest < from || newest < Atomics.load(this.#ints, I.Played)) return;
    if (!ring.has(newest) || !healthy.has(newest)) return;
    if (ring.checksumOf(newest) === healthy.checksumOf(newest)) {
      Atomics.store(this.#ints, I.Health + slot, SlotState.Ready);
      this.#emit("ready", slot, `sample-identical at block ${newest}`);
    } else {
      this.#fail(slot, `restored state differs at block ${newest}`);
    }
  }
}
