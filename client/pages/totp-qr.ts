// The QR code of the account page's two-factor enrolment, drawn in the browser from the otpauth
// URI the page carries (data-totp-qr), so the worker carries no QR encoder (uqr, 11 KB). Drawn
// as SVG nodes, never as markup, and only on this origin: no image host ever sees the secret.
// Without script the box stays hidden and the page's typed key is the way in.
import { encode } from 'uqr'

const SVG = 'http://www.w3.org/2000/svg'
/** Units per module, as uqr's renderSVG drew them when the worker drew the code. */
const MODULE = 10
/** Quiet zone, in modules, around the code. */
const BORDER = 2

/** The QR code of `text`: a white square and one path of black modules. */
export function qrSvg(text: string): SVGSVGElement {
  const { size, data } = encode(text, { border: BORDER })
  const side = String(size * MODULE)
  const svg = document.createElementNS(SVG, 'svg')
  svg.setAttribute('viewBox', `0 0 ${side} ${side}`)
  const background = document.createElementNS(SVG, 'rect')
  for (const [name, value] of [
    ['fill', 'white'],
    ['width', side],
    ['height', side],
  ]) {
    background.setAttribute(name!, value!)
  }
  let d = ''
  data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (dark) d += `M${x * MODULE},${y * MODULE}h${MODULE}v${MODULE}h-${MODULE}z`
    }),
  )
  const modules = document.createElementNS(SVG, 'path')
  modules.setAttribute('fill', 'black')
  modules.setAttribute('d', d)
  svg.append(background, modules)
  return svg
}

for (const box of document.querySelectorAll<HTMLElement>('[data-totp-qr]')) {
  const uri = box.dataset.totpQr
  // Only an otpauth URI is drawn: the attribute is the server's, but a code of anything else
  // would be a code nobody should scan.
  if (!uri?.startsWith('otpauth://totp/')) continue
  box.replaceChildren(qrSvg(uri))
  box.hidden = false
}
