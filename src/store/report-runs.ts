/**
 * Where run_report keeps its runs, so later pages (and `okta://reports/runs/{id}`) read the same
 * rows: in this process (the newest 50 per installation) for one instance, or in the shared
 * store (Redis) for several behind a balancer, where any instance may serve the next page.
 *
 * The run id comes back from the client: anything that is not a UUID is simply not found, and
 * every key is built inside the installation's own namespace, so no id reaches another tenant's.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "../logger.js";
import { type SharedStore, storeKey } from "./shared-store.js";

export interface StoredReportRun {
  id: string;
  key: string;
  params: Record<string, unknown>;
  result: unknown;
  at: string;
}

export interface ReportRuns {
  /** Where runs are kept and why one may be missing, as a message says it to the model. */
  readonly kept: string;
  /** Throws ReportRunsUnavailableError when the store did not take it. */
  save(run: StoredReportRun): Promise<void>;
  /** Undefined for an id never saved, expired, forgotten, or not a UUID. */
  get(id: string): Promise<StoredReportRun | undefined>;
  /** Every run saved so far becomes unreadable, on every instance. */
  forgetAll(): Promise<void>;
  /** True while a forget has not landed: save and get pay it first, and serve nothing until one does. */
  readonly forgetOwed: boolean;
}

/**
 * The shared store did not answer: the run is not lost at the platform, only unreachable here.
 * `forget`: a forget did not land, and until one does no stored run is served (nor a new one saved).
 */
export class ReportRunsUnavailableError extends Error {
  constructor(readonly operation: "save" | "read" | "forget") {
    super(`The shared store of report runs did not answer (${operation})`);
    this.name = "ReportRunsUnavailableError";
  }
}

export const MAX_RUNS_IN_MEMORY = 50;
/** How long a shared run stays readable: long enough to page through a conversation's report. */
export const SHARED_RUN_TTL_MS = 60 * 60 * 1000;
/**
 * The generation marker outlives every run saved before it was set (they live SHARED_RUN_TTL_MS
 * at most), so once the marker has expired no forgotten run is left to hide.
 */
const GENERATION_TTL_MS = 2 * SHARED_RUN_TTL_MS;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Run ids are UUIDs (randomUUID): anything else a client sends is not one, and is never a key. */
export const isRunId = (id: string): boolean => UUID.test(id);

export function newReportRun(key: string, params: Record<string, unknown>, result: unknown): StoredReportRun {
  return { id: randomUUID(), key, params, result, at: new Date().toISOString() };
}

/** One process's runs: the newest MAX_RUNS_IN_MEMORY, so memory stays bounded. */
export class MemoryReportRuns implements ReportRuns {
  readonly kept =
    `Runs are kept in this server process's memory only (each installation's newest ${MAX_RUNS_IN_MEMORY}, dropped when the reports scope is withdrawn): this one was pushed out, is kept by another instance or a server since restarted, or never existed.`;
  readonly #runs = new Map<string, StoredReportRun>();
  /** Forgetting a Map cannot fail. */
  readonly forgetOwed = false;

  async save(run: StoredReportRun): Promise<void> {
    this.#runs.set(run.id, run);
    // Keep the newest runs only: a Map iterates in insertion order.
    while (this.#runs.size > MAX_RUNS_IN_MEMORY) this.#runs.delete(this.#runs.keys().next().value as string);
  }

  /** A Map lookup: an id that is not a run's UUID simply finds nothing, as one never saved. */
  async get(id: string): Promise<StoredReportRun | undefined> {
    return this.#runs.get(id);
  }

  async forgetAll(): Promise<void> {
    this.#runs.clear();
  }
}

/**
 * Runs in the shared store, one JSON value per run under `<namespace>:report-runs:<id>`, each
 * with a TTL. Forgetting lists no keys (Redis may hold many tenants'): it sets a new generation
 * at `<namespace>:report-runs-generation`, and a run reads back only under the generation it was
 * saved with, or once no generation is remembered (the last forget is older than any live run).
 *
 * A forget the store did not take stays owed (in this instance, for this installation): until
 * one lands, no stored run is served, since one made under the withdrawn grant would read again
 * after a re-grant. The next save or get (and the installation's next whoami re-read) pays it.
 */
export class SharedReportRuns implements ReportRuns {
  readonly kept =
    `Runs are kept in the shared store for ${SHARED_RUN_TTL_MS / 60_000} minutes, readable from every instance, and dropped when the reports scope is withdrawn: this one expired, was dropped, or never existed.`;

  constructor(
    private readonly store: SharedStore,
    /** `okmcp:<tenant>:<module>`: resolved per call, since whoami is read after construction. */
    private readonly namespace: () => string,
    private readonly logger: Logger,
  ) {}

  /**
   * Set by each forget and cleared when one lands: a forget that failed, or is still in flight,
   * holds back every get and save.
   */
  #owed = false;
  /**
   * The one forget in flight: every forget asked meanwhile joins it. Nothing is saved while it
   * is (saves pay first), so when it lands every run it must hide is hidden; a second write
   * landing later would hide runs saved after the debt was paid.
   */
  #forgetting?: Promise<void>;

  get forgetOwed(): boolean {
    return this.#owed;
  }

  async save(run: StoredReportRun): Promise<void> {
    await this.#payOwedForget();
    await this.#guard("save", async () => {
      const generation = await this.store.get(this.#generationKey());
      const value = JSON.stringify({ generation: generation ?? null, run });
      await this.store.set(this.#runKey(run.id), value, SHARED_RUN_TTL_MS);
    });
  }

  async get(id: string): Promise<StoredReportRun | undefined> {
    if (!isRunId(id)) return undefined;
    await this.#payOwedForget();
    return this.#guard("read", async () => {
      const [raw, generation] = await Promise.all([
        this.store.get(this.#runKey(id)),
        this.store.get(this.#generationKey()),
      ]);
      if (raw === undefined) return undefined;
      const saved = parseSaved(raw);
      if (!saved || saved.run.id !== id) return undefined;
      if (generation !== undefined && saved.generation !== generation) return undefined;
      return saved.run;
    });
  }

  forgetAll(): Promise<void> {
    this.#owed = true;
    this.#forgetting ??= this.#guard("forget", () =>
      this.store.set(this.#generationKey(), randomUUID(), GENERATION_TTL_MS),
    )
      .then(() => {
        this.#owed = false;
      })
      .finally(() => {
        this.#forgetting = undefined;
      });
    return this.#forgetting;
  }

  /** Throws ReportRunsUnavailableError("forget") while the owed forget still does not land. */
  async #payOwedForget(): Promise<void> {
    if (this.#owed) await this.forgetAll();
  }

  #runKey(id: string): string {
    return storeKey(this.namespace(), "report-runs", id);
  }

  #generationKey(): string {
    return storeKey(this.namespace(), "report-runs-generation");
  }

  /** A store failure is logged once here (never a URL or value) and becomes one typed error. */
  async #guard<T>(operation: ReportRunsUnavailableError["operation"], work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.logger.warn({ operation, err: { message: (error as Error).message } }, "report run store failed");
      throw new ReportRunsUnavailableError(operation);
    }
  }
}

function parseSaved(raw: string): { generation: string | null; run: StoredReportRun } | undefined {
  try {
    const saved = JSON.parse(raw) as { generation?: unknown; run?: StoredReportRun };
    if (!saved.run || typeof saved.run.id !== "string") return undefined;
    return { generation: typeof saved.generation === "string" ? saved.generation : null, run: saved.run };
  } catch {
    return undefined;
  }
}
