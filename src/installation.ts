/**
 * One installation (a tenant's grant to this app): its API client, what `whoami` said, and the
 * per-installation memory every session of it shares (write replay keys, report runs, the report
 * catalog). Stdio serves one; HTTP may serve many, each fully apart from the others.
 */
import { randomUUID } from "node:crypto";
import { OktaClient } from "./client/client.js";
import type { Logger } from "./logger.js";
import { type ReportDefinition, Whoami } from "./platform/records.js";
import { WriteMemory, type WriteMemoryStore } from "./tools/write-memory.js";

export interface InstallationOptions {
  baseUrl: string;
  /** A function, so a rotated token is used from the next request. */
  token: string | (() => string);
  logger: Logger;
  /** The sandbox's demo data: said plainly in whoami, resources and instructions. */
  sandbox?: boolean;
  replayWindowMs?: number;
  writeStore?: WriteMemoryStore;
  /** A label for logs when several installations share a process. */
  name?: string;
}

export interface StoredReportRun {
  id: string;
  key: string;
  params: Record<string, unknown>;
  result: unknown;
  at: string;
}

const REPORT_CATALOG_TTL_MS = 5 * 60 * 1000;
const MAX_STORED_RUNS = 50;

export class Installation {
  readonly client: OktaClient;
  readonly writeMemory: WriteMemory;
  readonly sandbox: boolean;
  readonly name: string;
  #whoami?: Whoami;
  #reportCatalog?: { at: number; reports: ReportDefinition[] };
  readonly #runs = new Map<string, StoredReportRun>();

  constructor(readonly options: InstallationOptions) {
    this.client = new OktaClient({ baseUrl: options.baseUrl, token: options.token, logger: options.logger });
    this.writeMemory = new WriteMemory(options.writeStore, options.replayWindowMs);
    this.sandbox = options.sandbox ?? false;
    this.name = options.name ?? "default";
  }

  /** Reads `GET /whoami` (again); the granted scopes decide which tools exist. */
  async refreshWhoami(): Promise<Whoami> {
    const res = await this.client.request<unknown>({ method: "GET", path: "/whoami" });
    this.#whoami = Whoami.parse(res.body);
    return this.#whoami;
  }

  get whoami(): Whoami {
    if (!this.#whoami) throw new Error("Installation not initialised: call refreshWhoami() first");
    return this.#whoami;
  }

  /** Stable id of the installation, for memory keys and logs. Never the token. */
  get id(): string {
    return `${this.whoami.tenant_id}:${this.whoami.module}`;
  }

  async reportCatalog(): Promise<ReportDefinition[]> {
    const cached = this.#reportCatalog;
    if (cached && Date.now() - cached.at < REPORT_CATALOG_TTL_MS) return cached.reports;
    const res = await this.client.request<{ data: ReportDefinition[] }>({
      method: "GET",
      path: "/reports/builder",
    });
    const reports = Array.isArray(res.body?.data) ? res.body.data : [];
    this.#reportCatalog = { at: Date.now(), reports };
    return reports;
  }

  storeReportRun(key: string, params: Record<string, unknown>, result: unknown): StoredReportRun {
    const run = { id: randomUUID(), key, params, result, at: new Date().toISOString() };
    this.#runs.set(run.id, run);
    // Keep the newest runs only: a Map iterates in insertion order.
    while (this.#runs.size > MAX_STORED_RUNS) this.#runs.delete(this.#runs.keys().next().value as string);
    return run;
  }

  reportRun(id: string): StoredReportRun | undefined {
    return this.#runs.get(id);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
