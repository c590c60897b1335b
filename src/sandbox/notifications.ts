/** The notification provider: channel capabilities and the checks `send` makes before queueing. */
import { randomUUID } from "node:crypto";
import { addFieldError, type FieldErrors, validationFailed } from "./errors.js";
import type { NotificationRecord } from "./store.js";

export const CAPABILITIES = {
  channels: ["sms", "whatsapp", "email"],
  default_channel: "sms",
  max_length: 640,
} as const;

const E164 = /^\+[1-9]\d{7,14}$/;
/** The contract's ids are positive integers; a user id is one of them, as text. */
const USER_ID = /^[1-9]\d{0,9}$/;

export interface SendBody {
  to: string;
  message: string;
  channel?: string;
}

/** Checks what the body schema cannot know: the channel list, the length limit, the `to` format. */
export function checkSend(body: SendBody): FieldErrors {
  const errors: FieldErrors = {};
  if (!E164.test(body.to) && !USER_ID.test(body.to)) {
    addFieldError(
      errors,
      "to",
      "Must be an E.164 phone (e.g. +966501234567) or a user id (a positive integer)",
    );
  }
  const channel = body.channel ?? CAPABILITIES.default_channel;
  if (!(CAPABILITIES.channels as readonly string[]).includes(channel)) {
    addFieldError(errors, "channel", `Must be one of: ${CAPABILITIES.channels.join(", ")}`);
  }
  // Code points, not UTF-16 units: an emoji is one character to the person reading it.
  const length = [...body.message].length;
  if (length > CAPABILITIES.max_length) {
    addFieldError(errors, "message", `At most ${CAPABILITIES.max_length} characters, got ${length}`);
  }
  return errors;
}

export function queueNotification(body: SendBody, createdAt: string): NotificationRecord {
  const errors = checkSend(body);
  if (Object.keys(errors).length > 0) throw validationFailed(errors);
  return {
    id: randomUUID(),
    status: "queued",
    channel: body.channel ?? CAPABILITIES.default_channel,
    to: body.to,
    message: body.message,
    created_at: createdAt,
  };
}
