/** The API client's public surface. */
export {
  type ApiResponse,
  OktaClient,
  type OktaClientOptions,
  type RequestOptions,
  type TokenSource,
} from "./client.js";
export {
  ClientConfigError,
  DEFAULT_BASE_URL,
  resolveBaseUrl,
  resolveToken,
  resolveTokenSource,
} from "./config.js";
export {
  ApiError,
  type ApiErrorInit,
  BadRequestError,
  type ErrorContext,
  errorClassForStatus,
  errorFromResponse,
  IdempotencyConflictError,
  NetworkError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  RequestAbortedError,
  ScopeNotGrantedError,
  ServerError,
  UnauthenticatedError,
  UnexpectedResponseError,
  ValidationFailedError,
} from "./errors.js";
export { type HeaderBag, headerValue, parseRateLimit, type RateLimitInfo } from "./headers.js";
export {
  type CollectedPages,
  collectPages,
  type Page,
  type PaginateOptions,
  paginate,
  paginatePages,
  type RequestClient,
} from "./paging.js";
export { redactSecrets } from "./redact.js";
export {
  type AttemptFailure,
  type BackoffOptions,
  canRepeatMethod,
  computeBackoffMs,
  type HttpMethod,
  isRetryableStatus,
  parseRetryAfterMs,
  planRetry,
  type RetryDecision,
  type RetryInput,
} from "./retry.js";
export { type BaseUrl, encodeQuery, parseBaseUrl, type Query, requestTarget } from "./url.js";
