// The webhook queue's consumer: fans each event out to the endpoints subscribed to its type and
// delivers them (services/webhooks.ts). In the same worker as the requests that produce them.
import type { Bindings } from '../env'

export async function queue(batch: MessageBatch, _env: Bindings): Promise<void> {
  // Filled in by the webhook delivery work: until an endpoint can be registered, nothing is subscribed.
  batch.ackAll()
}
