/** Shared test plumbing: start a sandbox, and talk to it over real HTTP with fetch. */
import { afterEach } from "vitest";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../src/sandbox/index.js";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are arbitrary JSON, asserted field by field
export type Json = any;

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Json;
}

export interface RequestOptions {
  method?: string;
  query?: Record<string, string | number>;
  /** A value to send as JSON. */
  json?: unknown;
  /** Raw body text, sent as is (with the content type given in headers). */
  raw?: string;
  headers?: Record<string, string>;
  /** Token to send; `null` sends no Authorization header. */
  token?: string | null;
}

export function api(sandbox: Sandbox) {
  return async (path: string, options: RequestOptions = {}): Promise<ApiResponse> => {
    const url = new URL(`${sandbox.baseUrl}${path}`);
    for (const [k, v] of Object.entries(options.query ?? {})) url.searchParams.set(k, String(v));
    const token = options.token === undefined ? sandbox.token : options.token;
    const headers: Record<string, string> = {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(options.json !== undefined ? { "content-type": "application/json" } : {}),
      ...options.headers,
    };
    const response = await fetch(url, {
      method: options.method ?? (options.json !== undefined || options.raw !== undefined ? "POST" : "GET"),
      headers,
      body: options.json !== undefined ? JSON.stringify(options.json) : options.raw,
    });
    const text = await response.text();
    let body: Json;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: response.status, headers: response.headers, body };
  };
}

/** Starts a sandbox that is stopped after the current test. */
export function useSandbox() {
  const started: Sandbox[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.stop()));
  });
  return async (options: SandboxOptions = {}) => {
    const sandbox = await startSandbox(options);
    started.push(sandbox);
    return { sandbox, call: api(sandbox) };
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every error answer has the envelope: message and error code, both strings. */
export function isErrorEnvelope(body: Json): boolean {
  return typeof body?.message === "string" && typeof body?.error === "string";
}
