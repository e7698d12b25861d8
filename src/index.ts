// The worker entry. workerd treats every export here as a handler, so it exports nothing else.
import type { Bindings } from './env'
import { app } from './app'

export default { fetch: app.fetch } satisfies ExportedHandler<Bindings>
