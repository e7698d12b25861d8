// Form posts and page loads as a browser makes them on the hosted pages (redirects not followed).
import { expect } from 'vitest'
import { ORIGIN, PASSWORD, REFRESH_COOKIE, call, refreshCookieOf } from '../helpers'

export const cookieOf = (res: Response) => refreshCookieOf(res)?.value

/** The init of a form post from this service's own pages, as a browser sends it. */
export const formInit = (
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): RequestInit => ({
  method: 'POST',
  redirect: 'manual',
  headers: {
    'Content-Type': 'application/x-www-form-urlencoded',
    Origin: ORIGIN,
    'Sec-Fetch-Site': 'same-origin',
    ...headers,
  },
  body: new URLSearchParams(fields).toString(),
})

/** A form post from this service's own pages, as a browser sends it (redirects not followed). */
export const post = (
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) => call(path, formInit(fields, headers))

export const withCookie = (cookie: string, headers: Record<string, string> = {}) => ({
  Cookie: `${REFRESH_COOKIE}=${cookie}`,
  ...headers,
})

/** Signs in through /signin; returns the cookie. */
export async function pageSignIn(username: string, headers: Record<string, string> = {}) {
  const res = await post('/signin', { username, password: PASSWORD }, headers)
  expect(res.status).toBe(303)
  return cookieOf(res)!
}

export const account = (cookie: string) =>
  call('/account', { headers: withCookie(cookie), redirect: 'manual' })
