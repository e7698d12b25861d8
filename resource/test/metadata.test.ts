// The RFC 9728 Protected Resource Metadata document and where it is served.
import { describe, expect, it } from 'vitest'
import { protectedResource } from '../index'
import { ISSUER, METADATA_URL, RESOURCE } from './jwks-double'

describe('metadata', () => {
  it('names the resource, its issuer, its scopes, and the header as the only bearer method', () => {
    const rs = protectedResource({
      issuer: ISSUER,
      resource: RESOURCE,
      scopes: ['notes:read', 'notes:write'],
      name: 'Notes',
      documentation: 'https://notes.example.com/docs',
    })
    expect(rs.metadata()).toEqual({
      resource: RESOURCE,
      authorization_servers: [ISSUER],
      bearer_methods_supported: ['header'],
      scopes_supported: ['notes:read', 'notes:write'],
      resource_name: 'Notes',
      resource_documentation: 'https://notes.example.com/docs',
    })
  })

  it('leaves out what was not configured', () => {
    const rs = protectedResource({ issuer: ISSUER, resource: RESOURCE })
    expect(Object.keys(rs.metadata()).sort()).toEqual([
      'authorization_servers',
      'bearer_methods_supported',
      'resource',
    ])
  })

  it.each([
    ['https://notes.example.com/mcp', '/.well-known/oauth-protected-resource/mcp', ''],
    ['https://notes.example.com/', '/.well-known/oauth-protected-resource', ''],
    ['https://notes.example.com', '/.well-known/oauth-protected-resource', ''],
    ['https://notes.example.com/a/b/', '/.well-known/oauth-protected-resource/a/b/', ''],
    ['https://notes.example.com/mcp?t=1', '/.well-known/oauth-protected-resource/mcp', '?t=1'],
  ])('serves the metadata of %s at %s (RFC 9728 §3.1)', (resource, path, query) => {
    const rs = protectedResource({ issuer: ISSUER, resource })
    expect(rs.metadataPath).toBe(path)
    expect(rs.metadataUrl).toBe(`${new URL(resource).origin}${path}${query}`)
    expect(rs.metadata().resource).toBe(resource)
  })

  it('builds the challenge URL from the configured resource, never from the request', async () => {
    const rs = protectedResource({ issuer: ISSUER, resource: RESOURCE })
    const spoofed = new Request('https://evil.example.com/mcp', {
      headers: { Host: 'evil.example.com', 'X-Forwarded-Host': 'evil.example.com' },
    })
    const result = await rs.authenticate(spoofed)
    expect(!result.ok && result.response.headers.get('WWW-Authenticate')).toBe(
      `Bearer resource_metadata="${METADATA_URL}"`,
    )
  })

  it('answers JSON that any origin may read and caches may keep', async () => {
    const rs = protectedResource({ issuer: ISSUER, resource: RESOURCE })
    const response = rs.metadataResponse()
    expect(response.status).toBe(200)
    expect(response.headers.get('Content-Type')).toBe('application/json')
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe('*')
    expect(response.headers.get('Cache-Control')).toBe('public, max-age=3600')
    expect(await response.json()).toEqual(rs.metadata())
  })
})
