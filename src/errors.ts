// The one error type a client is shown: status, stable machine-readable code, human detail.
// Plain TypeScript, no Hono: services and auth/ throw it; http/errors.ts renders it.

/** The statuses the service answers errors with. */
const ERROR_STATUSES = [400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 503] as const
export type ErrorStatus = (typeof ERROR_STATUSES)[number]

export const isErrorStatus = (status: number): status is ErrorStatus =>
  (ERROR_STATUSES as readonly number[]).includes(status)

export type FieldError = { field: string; message: string }

/** A failure the client should see: status, stable machine-readable code, human detail. */
export class ApiError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    readonly detail: string,
    readonly extra: { errors?: FieldError[]; challenge?: 'bare'; retryAfter?: number } = {},
  ) {
    super(detail)
    this.name = 'ApiError'
  }
}
