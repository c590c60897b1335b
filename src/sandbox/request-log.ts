/** The sandbox's record of what it answered, for tests to assert on (bounded: old entries drop off). */
import type { FaultKind } from "./faults.js";

export interface RequestLogEntry {
  method: string;
  /** The raw path, base path included. */
  path: string;
  query: Record<string, string>;
  /** The catalog tool the request matched, or null for an unknown path. */
  tool: string | null;
  /** The status answered (or that would have been, for a dropped connection). */
  status: number;
  idempotencyKey?: string;
  tenantId?: number;
  replayed?: boolean;
  fault?: FaultKind;
  dropped?: boolean;
  /** The caller closed the connection before the answer was written. */
  abandoned?: boolean;
}

export class RequestLog {
  private readonly entries: RequestLogEntry[] = [];

  constructor(private readonly max = 10_000) {}

  get all(): readonly RequestLogEntry[] {
    return this.entries;
  }

  push(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
  }

  clear(): void {
    // In place: a test holding `sandbox.requests` keeps seeing the live log.
    this.entries.length = 0;
  }
}
