/**
 * Keeps credentials out of error messages. The token is known to the client, so it is removed
 * verbatim; any `Bearer ...` text is removed too, in case a platform (or a proxy) echoes a header.
 */
const BEARER = /Bearer\s+[A-Za-z0-9._~+/=-]+/gi;
const REDACTED = "[redacted]";

export function redactSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(BEARER, `Bearer ${REDACTED}`);
  for (const secret of secrets) {
    // Very short strings would shred ordinary words; real tokens are long.
    if (secret.length >= 6) out = out.split(secret).join(REDACTED);
  }
  return out;
}
