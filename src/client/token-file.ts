/**
 * Following a token file that may be rotated: the one place that says what "the file changed"
 * means and how a rotated token is picked up. Used by OKTA_PARTNER_TOKEN_FILE, the installations
 * file's token_file entries, and the watcher that re-reads whoami after a rotation.
 */
import { statSync } from "node:fs";

/** What identifies one version of a file: a replaced file (rename over, symlink swap) has a new inode or mtime. "" when absent. */
export function fileStamp(file: string): string {
  try {
    const s = statSync(file);
    return `${s.ino}:${s.mtimeMs}:${s.size}`;
  } catch {
    return "";
  }
}

/**
 * A token source that re-reads `file` (with `read`, which names the file in its errors) when its
 * stamp changes. The first read throws; later failed reads keep the last good token, since a file
 * being replaced is briefly missing, and a revoked token surfaces as the platform's 401 anyway.
 */
export function followTokenFile(file: string, read: (file: string) => string): () => string {
  let token = read(file);
  let stamp = fileStamp(file);
  return () => {
    const next = fileStamp(file);
    if (next !== stamp && next !== "") {
      try {
        token = read(file);
        stamp = next;
      } catch {
        // Keep the last good token (see above).
      }
    }
    return token;
  };
}
