/**
 * One installation (a tenant's grant to this app): its API client, what `whoami` said, and the
 * per-installation memory every session of it shares (write replay keys, report runs, the report
 * catalog). Stdio serves one; HTTP may serve many, each fully apart from the others.
 */
import { createHash, randomUUID } from "node:crypto";
import { OktaClient } from "./client/client.js";
import { TenantMismatchError, type TenantOf } from "./client/errors.js";
import { EventLog } from "./live/events.js";
import { DEFAULT_WHOAMI_INTERVAL_MS, type WatchOptions, watchInstallation } from "./live/watch.js";
import type { Logger } from "./logger.js";
import { endpointOf } from "./platform/catalog.js";
import { collectionEnvelope } from "./platform/envelopes.js";
import { ReportDefinition, Whoami } from "./platform/records.js";
import { MemoryReportRuns, type ReportRuns, SharedReportRuns } from "./store/report-runs.js";
import { KEY_PREFIX, type SharedStore } from "./store/shared-store.js";
import { WriteMemory, type WriteMemoryStore } from "./store/write-memory.js";
import { SharedWriteStore } from "./store/write-store.js";
import { ListScans } from "./tools/list-scans.js";

export interface InstallationOptions {
  baseUrl: string;
  /** A function, so a rotated token is used from the next request. */
  token: string | (() => string);
  logger: Logger;
  /** The sandbox's demo data: said plainly in whoami, resources and instructions. */
  sandbox?: boolean;
  replayWindowMs?: number;
  writeStore?: WriteMemoryStore;
  /** Shared state across instances; the write memory lives there unless `writeStore` is given. */
  sharedStore?: SharedStore;
  /** A label for logs when several installations share a process. */
  name?: string;
}

/** Report runs and the catalog are kept only while run_report's scope (from the catalog) is granted. */
const REPORTS_SCOPE = endpointOf("run_report").scope;
const REPORT_CATALOG_TTL_MS = 5 * 60 * 1000;
/** A model retrying a refused tool must not turn into a whoami storm: one re-read per window. */
const SCOPE_DENIED_REREAD_GAP_MS = 10_000;

/** Scopes as one comparable string, order-free. */
const scopeKey = (scopes: readonly string[]) => [...scopes].sort().join(" ");

/** What the installation remembers of a token: never the token itself. */
const fingerprint = (token: string) => createHash("sha256").update(token).digest("hex");

const tenantOf = (who: Whoami): TenantOf => ({ tenantId: who.tenant_id, module: who.module });

/** The longest pause one instance may impose on the others (a Retry-After is seconds to minutes). */
const MAX_SHARED_PAUSE_MS = 10 * 60_000;

export class Installation {
  readonly client: OktaClient;
  readonly writeMemory: WriteMemory;
  readonly sandbox: boolean;
  readonly name: string;
  /** Every line of this installation (and of its API client and watcher) names it, once. */
  readonly #logger: Logger;
  #whoami?: Whoami;
  #reportCatalog?: { at: number; reports: ReportDefinition[] };
  /**
   * run_report's stored runs: in the shared store when it spans instances (a balancer sends the
   * next page to any of them), else the newest 50 in this process (no TTL sweep needed to bound it).
   */
  readonly reportRuns: ReportRuns;
  /** The scans behind filtered listings, reused across their pages (tools/list-scans.ts). */
  readonly listScans = new ListScans();
  /** Recent webhook events of this tenant, and the sessions listening to them. */
  readonly events = new EventLog();
  readonly #scopeListeners = new Set<(scopes: readonly string[]) => void>();
  /** whoami reads in flight, by token fingerprint: concurrent callers share one request. */
  readonly #reading = new Map<string, Promise<Whoami>>();
  /**
   * The token whose whoami last named this installation's tenant: calls with it go out. The token
   * itself (the installation holds it anyway), so a call compares it without hashing it.
   */
  #admittedToken?: string;
  /** The token whose whoami named another tenant (or module): calls with it are refused. */
  #refused?: { fingerprint: string; error: TenantMismatchError };
  #lastDeniedReread = Number.NEGATIVE_INFINITY;
  #stopWatching?: () => void;
  #grantRereadMs: number | undefined;
  /** Tells this instance's own pause announcements apart from the others'. */
  readonly #instanceId = randomUUID();
  #stopFollowingPauses?: Promise<() => Promise<void>>;

  constructor(readonly options: InstallationOptions) {
    this.name = options.name ?? "default";
    this.#logger = options.logger.child({ installation: this.name });
    this.client = new OktaClient({
      baseUrl: options.baseUrl,
      token: options.token,
      logger: this.#logger,
      admitToken: (token) => this.#admit(token),
      onPause: (until) => this.#announcePause(until),
    });
    const writeStore =
      options.writeStore ??
      (options.sharedStore
        ? new SharedWriteStore(options.sharedStore, () => this.storeNamespace)
        : undefined);
    this.writeMemory = new WriteMemory(writeStore, { windowMs: options.replayWindowMs });
    this.sandbox = options.sandbox ?? false;
    this.reportRuns = options.sharedStore?.spansInstances
      ? new SharedReportRuns(options.sharedStore, () => this.storeNamespace, this.#logger)
      : new MemoryReportRuns();
    this.onScopesChanged((scopes) => {
      // A store failure is logged where it happened (report-runs.ts); the catalog is dropped anyway.
      if (REPORTS_SCOPE && !scopes.includes(REPORTS_SCOPE)) void this.forgetReports().catch(() => {});
    });
  }

  /**
   * Reads `GET /whoami` (again); the granted scopes decide which tools exist. When they changed,
   * every server made for this installation (each live session, stdio or HTTP) is told.
   *
   * The first tenant (and module) read is the installation's for its lifetime: its API keys,
   * sessions, subscriptions and shared-store keys belong to that school. A token that names
   * another one is refused (TenantMismatchError) until the token names the first again.
   */
  async refreshWhoami(): Promise<Whoami> {
    return this.#verify(this.#currentToken());
  }

  /** Throws TenantMismatchError while the current token is refused; a changed token is checked first. */
  async assertServing(): Promise<void> {
    await this.#admit(this.#currentToken());
  }

  #currentToken(): string {
    return typeof this.options.token === "function" ? this.options.token() : this.options.token;
  }

  /**
   * Every platform call but whoami's passes here with the token it would carry. Undefined when
   * `token` is the one admitted: the hot path makes no promise.
   */
  #admit(token: string): Promise<void> | undefined {
    if (token === this.#admittedToken) return undefined;
    // A token not yet read (rotated since): whoami first, and nothing else goes out with it.
    return this.#verify(token).then(() => {});
  }

  #verify(token: string): Promise<Whoami> {
    const print = fingerprint(token);
    // A token's tenant never changes: a refused token is not read again (no whoami storm from
    // a model retrying); a fix is a new token, which is read.
    if (print === this.#refused?.fingerprint) return Promise.reject(this.#refused.error);
    let reading = this.#reading.get(print);
    if (!reading) {
      reading = this.#readWhoami(token, print).finally(() => this.#reading.delete(print));
      this.#reading.set(print, reading);
    }
    return reading;
  }

  async #readWhoami(token: string, print: string): Promise<Whoami> {
    const res = await this.client.request({
      method: "GET",
      path: endpointOf("whoami").path,
      token,
      // The bare record: an answer off its shape is an UnexpectedResponseError naming the field.
      expect: Whoami,
    });
    const next = res.body;
    const before = this.#whoami;
    if (before && (before.tenant_id !== next.tenant_id || before.module !== next.module)) {
      // The module counts too: another app of the same school has another grant and its own
      // write memory (the installation id is tenant:module), so it is another installation.
      const error = new TenantMismatchError(tenantOf(before), tenantOf(next));
      if (this.#admittedToken === token) this.#admittedToken = undefined;
      this.#refused = { fingerprint: print, error };
      this.#logger.error(
        { serves: tenantOf(before), token_of: tenantOf(next) },
        "the platform token now belongs to another tenant; refusing every call until it is restored",
      );
      throw error;
    }
    this.#whoami = next;
    this.#admittedToken = token;
    // Subscribed before the first whoami answers, so no pause announced after start-up is missed.
    if (!before) await this.#followPauses();
    if (this.#refused) {
      this.#refused = undefined;
      this.#logger.info(
        { tenant: next.tenant_id },
        "the platform token names this installation's tenant again; serving",
      );
    }
    if (before && scopeKey(before.scopes) !== scopeKey(next.scopes)) {
      this.#logger.info(
        { scopes: next.scopes, sessions: this.#scopeListeners.size },
        "granted scopes changed; updating every session",
      );
      // A scan's matches were read under the old grant; the next page rescans under the new one.
      this.listScans.clear();
      for (const listener of this.#scopeListeners) listener(next.scopes);
    } else if (this.reportRuns.forgetOwed) {
      // A forget the store did not take is tried again at each re-read, not only at this
      // instance's next run read: the others share the store and may never see the withdrawal.
      void this.reportRuns.forgetAll().catch(() => {});
    }
    return next;
  }

  /** Called with the new scopes after a change; returns the function that stops listening. */
  onScopesChanged(listener: (scopes: readonly string[]) => void): () => void {
    this.#scopeListeners.add(listener);
    return () => this.#scopeListeners.delete(listener);
  }

  /** The platform refused a call for a missing scope: the grant may have changed, so look again. */
  noteScopeDenied(now = Date.now()): void {
    if (now - this.#lastDeniedReread < SCOPE_DENIED_REREAD_GAP_MS) return;
    this.#lastDeniedReread = now;
    void this.refreshWhoami().catch((error: unknown) =>
      this.#logger.warn({ err: { message: (error as Error).message } }, "whoami re-read failed"),
    );
  }

  /** Follows a token file and re-reads whoami periodically, until close(). */
  watch(options: WatchOptions = {}): void {
    this.#stopWatching?.();
    const reread = () =>
      this.refreshWhoami().catch((error: unknown) => {
        // Logged once when found; the watcher must not repeat it on every tick.
        if (!(error instanceof TenantMismatchError)) throw error;
      });
    this.#stopWatching = watchInstallation(reread, options, this.#logger);
    this.#grantRereadMs = options.whoamiIntervalMs ?? DEFAULT_WHOAMI_INTERVAL_MS;
  }

  /** How often whoami is re-read on a timer (after watch()); 0 or undefined when it is not. */
  get grantRereadMs(): number | undefined {
    return this.#grantRereadMs;
  }

  get whoami(): Whoami {
    if (!this.#whoami) throw new Error("Installation not initialised: call refreshWhoami() first");
    return this.#whoami;
  }

  /** Stable id of the installation, for memory keys and logs. Never the token. */
  get id(): string {
    return `${this.whoami.tenant_id}:${this.whoami.module}`;
  }

  /** `okmcp:<tenant>:<module>`: the prefix of this installation's keys in the shared store. */
  get storeNamespace(): string {
    return `${KEY_PREFIX}:${this.whoami.tenant_id}:${this.whoami.module.replace(/[^A-Za-z0-9._-]/g, "_")}`;
  }

  async reportCatalog(): Promise<ReportDefinition[]> {
    const cached = this.#reportCatalog;
    if (cached && Date.now() - cached.at < REPORT_CATALOG_TTL_MS) return cached.reports;
    const res = await this.client.request({
      method: "GET",
      path: endpointOf("list_reports").path,
      expect: collectionEnvelope(ReportDefinition),
    });
    const reports = res.body.data;
    this.#reportCatalog = { at: Date.now(), reports };
    return reports;
  }

  /**
   * Forgets the stored report runs and the cached catalog: what the grant no longer covers must
   * not come back readable if the scope is granted again.
   */
  async forgetReports(): Promise<void> {
    this.#reportCatalog = undefined;
    await this.reportRuns.forgetAll();
  }

  /** The channel on which this installation's instances pass on the platform's pauses. */
  get #pauseChannel(): string {
    return `${this.storeNamespace}:rate-pause`;
  }

  /** The platform asked this instance to slow down: the others sharing the store hold too. */
  #announcePause(untilEpochMs: number): void {
    const store = this.options.sharedStore;
    if (!store || !this.#whoami) return;
    const message = JSON.stringify({ until: untilEpochMs, from: this.#instanceId });
    void store.publish(this.#pauseChannel, message).catch((error: unknown) => {
      this.#logger.warn({ err: { message: (error as Error).message } }, "could not pass on a rate pause");
    });
  }

  async #followPauses(): Promise<void> {
    const store = this.options.sharedStore;
    if (!store || this.#stopFollowingPauses) return;
    this.#stopFollowingPauses = store.subscribe(this.#pauseChannel, (message) => {
      try {
        const { until, from } = JSON.parse(message) as { until?: unknown; from?: unknown };
        // Another instance's word, bounded: a pause is the platform's Retry-After, never hours.
        if (from === this.#instanceId || typeof until !== "number") return;
        this.client.pauseUntil(Math.min(until, Date.now() + MAX_SHARED_PAUSE_MS));
      } catch {}
    });
    // A store that cannot subscribe costs only the shared pause (logged), never the installation.
    await this.#stopFollowingPauses.catch((error: unknown) => {
      this.#logger.warn({ err: { message: (error as Error).message } }, "could not follow rate pauses");
    });
  }

  async close(): Promise<void> {
    this.#stopWatching?.();
    const stop = await this.#stopFollowingPauses?.catch(() => undefined);
    await stop?.().catch(() => {});
    await this.client.close();
  }
}
