// better-auth's options for this peer, shared by the worker (worker.mjs, with `database: env.DB`)
// and the schema generator (schema.mjs), so the SQL matches what the worker expects.
// Nothing here imports better-auth: the worker bundle and Node both read it.

/** @param {{ secret: string, baseURL: string }} settings */
export const authOptions = ({ secret, baseURL }) => ({
  baseURL,
  secret,
  emailAndPassword: { enabled: true },
  advanced: {
    // The docs' Cloudflare guide: Workers carry the client address in CF-Connecting-IP, not
    // X-Forwarded-For (which better-auth reads by default).
    ipAddress: { ipAddressHeaders: ['cf-connecting-ip'] },
  },
  // better-auth's limiter (on when NODE_ENV=production) allows 3 sign-ins per 10 s and 100
  // requests per 10 s on other paths per IP and path; the whole bench comes from one address.
  // edge-auth runs with RATE_LIMITS=off for the same reason.
  rateLimit: { enabled: false },
})
