// The worker entry. workerd treats every export here as a handler, so it exports nothing else:
// requests (the Hono app), the hourly Cron Trigger (cleanup) and the queues (webhook delivery,
// batched session last-use writes).
import type { Bindings } from './env'
import { app } from './app'
import { scheduled } from './consumers/scheduled'
import { queue } from './consumers/queue'

export default { fetch: app.fetch, scheduled, queue } satisfies ExportedHandler<Bindings>
