// Test keys as an operator pastes them: a fresh P-256 private key in PKCS #8 PEM (Apple's .p8).

/** A new ES256 key pair: the private key as PEM, and the public key to check signatures with. */
export async function p256Pem(): Promise<{ pem: string; publicKey: CryptoKey }> {
  const pair = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as CryptoKeyPair
  const der = new Uint8Array(
    (await crypto.subtle.exportKey('pkcs8', pair.privateKey)) as ArrayBuffer,
  )
  const base64 = btoa(String.fromCharCode(...der)).replace(/(.{64})/g, '$1\n')
  return {
    pem: `-----BEGIN PRIVATE KEY-----\n${base64}\n-----END PRIVATE KEY-----\n`,
    publicKey: pair.publicKey,
  }
}
