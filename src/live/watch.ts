/**
 * Keeps an installation's grant fresh without a restart: a token file is watched (a rotated token
 * is used from the next request; whoami is read again at once), and whoami is re-read on a timer
 * in case scopes were granted or withdrawn on the platform side.
 *
 * The file is watched two ways: fs.watch on its directory for a quick reaction, and a stat poll
 * as the ground truth. Editors and secret mounts replace files (rename over, symlink swap), which
 * fs.watch on the file itself would miss; a stat of the path follows every such replacement.
 */
import { type FSWatcher, watch } from "node:fs";
import { basename, dirname } from "node:path";
import { fileStamp } from "../client/token-file.js";
import type { Logger } from "../logger.js";

export interface WatchOptions {
  /** A token file to follow (OKTA_PARTNER_TOKEN_FILE or an installations file's token_file). */
  tokenFile?: string;
  /** How often the token file is stat'ed (default 1 s). */
  pollMs?: number;
  /** How often whoami is re-read regardless (default 5 min; 0 turns it off). */
  whoamiIntervalMs?: number;
}

export const DEFAULT_TOKEN_POLL_MS = 1_000;
export const DEFAULT_WHOAMI_INTERVAL_MS = 5 * 60_000;

/** Starts the watchers; returns the function that stops them all. */
export function watchInstallation(
  refresh: (reason: string) => Promise<unknown>,
  options: WatchOptions,
  logger: Logger,
): () => void {
  const stops: Array<() => void> = [];
  const run = (reason: string) =>
    void refresh(reason).catch((error: unknown) =>
      logger.warn({ reason, err: { message: (error as Error).message } }, "whoami re-read failed"),
    );

  const interval = options.whoamiIntervalMs ?? DEFAULT_WHOAMI_INTERVAL_MS;
  if (interval > 0) {
    const timer = setInterval(() => run("periodic"), interval);
    timer.unref();
    stops.push(() => clearInterval(timer));
  }

  const file = options.tokenFile;
  if (file) {
    let stamp = fileStamp(file);
    const check = () => {
      const next = fileStamp(file);
      // "" is a file mid-replacement (gone for a moment): wait for the new one rather than act.
      if (next === stamp || next === "") return;
      stamp = next;
      logger.info({ file }, "token file changed; reading whoami with the new token");
      run("token file changed");
    };
    const poll = setInterval(check, options.pollMs ?? DEFAULT_TOKEN_POLL_MS);
    poll.unref();
    stops.push(() => clearInterval(poll));
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dirname(file), { persistent: false }, (_kind, name) => {
        if (name === null || String(name) === basename(file)) check();
      });
      watcher.on("error", () => watcher?.close());
    } catch {
      // Some filesystems cannot be watched; the poll alone is enough.
    }
    stops.push(() => watcher?.close());
  }
  return () => {
    for (const stop of stops) stop();
  };
}

/** OKTA_WHOAMI_REFRESH_SECONDS (default 300; 0 turns the periodic re-read off). */
export function watchOptionsFromEnv(env: Record<string, string | undefined>): WatchOptions {
  const raw = env.OKTA_WHOAMI_REFRESH_SECONDS?.trim();
  if (!raw) return {};
  if (!/^\d+$/.test(raw)) throw new Error(`OKTA_WHOAMI_REFRESH_SECONDS must be a whole number, got "${raw}"`);
  return { whoamiIntervalMs: Number(raw) * 1000 };
}
