// The mail edge-auth sends under Miniflare: its simulated `send_email` binding writes each
// message's text to a file and logs the path; this Log reads it, so a test can open the link a
// person would (an address's verification). Other log lines are dropped, warnings and errors kept.
import { readFileSync } from 'node:fs'
import { Log, LogLevel } from 'miniflare'

type Mail = { to: string; text: string }

export class Mailbox extends Log {
  private readonly mail: Mail[] = []
  private readonly waiting: { to: string; resolve: (mail: Mail) => void }[] = []

  constructor() {
    super(LogLevel.INFO)
  }

  override logWithLevel(level: LogLevel, message: string): void {
    // Colour codes are stripped before the message is read.
    const plain = message.replace(/\u001b\[[0-9;]*m/g, '')
    const to = /^To: (.+)$/m.exec(plain)?.[1]?.trim()
    const textFile = /^Text: (.+)$/m.exec(plain)?.[1]?.trim()
    if (plain.includes('send_email binding called') && to && textFile) {
      const mail = { to: to.replace(/^.*<|>$/g, ''), text: readFileSync(textFile, 'utf8') }
      const waiter = this.waiting.findIndex((w) => w.to === mail.to)
      if (waiter >= 0) this.waiting.splice(waiter, 1)[0]!.resolve(mail)
      else this.mail.push(mail)
      return
    }
    if (level <= LogLevel.WARN) super.logWithLevel(level, message)
  }

  /** The next message to `to` (one already delivered, or the one still on its way). */
  next(to: string): Promise<Mail> {
    const at = this.mail.findIndex((m) => m.to === to)
    if (at >= 0) return Promise.resolve(this.mail.splice(at, 1)[0]!)
    return new Promise((resolve) => this.waiting.push({ to, resolve }))
  }
}
