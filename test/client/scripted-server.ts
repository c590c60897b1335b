/**
 * A real node:http server on 127.0.0.1:0 whose answers are scripted per request, for testing the
 * client's retries against real sockets (no HTTP mocking).
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the request's body had arrived. */
  at: number;
}

/** Answers request number `index` (0-based); may leave the response hanging or destroy the socket. */
export type Handler = (req: IncomingMessage, res: ServerResponse, received: Received, index: number) => void;

export interface ScriptedServer {
  url: string;
  port: number;
  received: Received[];
  /** Requests whose handler has run but whose response has not finished. */
  inFlight: () => number;
  maxInFlight: () => number;
  close(): Promise<void>;
}

/** An array scripts request by request (the last entry repeats); a function answers every request. */
export async function startServer(script: Handler | Handler[]): Promise<ScriptedServer> {
  const received: Received[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rec: Received = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
        at: performance.now(),
      };
      const index = received.push(rec) - 1;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on("close", () => {
        inFlight -= 1;
      });
      const handler = Array.isArray(script) ? script[Math.min(index, script.length - 1)]! : script;
      handler(req, res, rec, index);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    received,
    inFlight: () => inFlight,
    maxInFlight: () => maxInFlight,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    const text = body === undefined ? "" : JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(text);
  };
}

export function text(status: number, body: string, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "text/html", ...headers });
    res.end(body);
  };
}

/** Never answers (until the server closes). */
export const hang: Handler = () => {};

/** Drops the connection after the request arrived: the client cannot know whether it was applied. */
export const destroy: Handler = (req) => {
  req.socket.destroy();
};

export const ok = (body: unknown = { data: { id: 1 } }, headers: Record<string, string> = {}) =>
  json(200, body, headers);
