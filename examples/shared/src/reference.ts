import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import type { DemoResponse } from './responses'

const require = createRequire(import.meta.url)

/** Where both quickstarts mount orgkit's API, its index and its reference page. */
export const API_PREFIX = '/api'

/** orgkit's version, as the API index reports it: the installed `@orgkit/core`'s. */
export const ORGKIT_VERSION: string = (require('@orgkit/core/package.json') as { version: string }).version

/** `GET /api`: where things are, for someone who found the API before the docs. */
export function apiIndex(prefix: string): DemoResponse {
  return {
    status: 200,
    body: {
      name: 'orgkit',
      version: ORGKIT_VERSION,
      description: 'Organizations, members, roles, invitations and API keys for this app.',
      reference: `${prefix}/reference`,
      openapi: `${prefix}/openapi.json`,
    },
  }
}

/** A file the API reference page is made of. */
export interface ReferenceFile {
  status: number
  contentType: string
  body: string | Buffer
}

/**
 * Swagger UI's files are served from the installed `swagger-ui-dist` package, never a CDN:
 * the reference works offline and loads no third-party script. Only these names are
 * served, so the route cannot be walked out of the package's folder.
 */
const SWAGGER_UI_FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
}
const swaggerUiDir = dirname(require.resolve('swagger-ui-dist/package.json'))

/**
 * `GET {prefix}/reference` and `GET {prefix}/reference/<file>`: a readable API reference
 * rendered by Swagger UI from `{prefix}/openapi.json`. `file` is `''` for the page itself.
 */
export async function referenceFile(prefix: string, file: string): Promise<ReferenceFile> {
  if (file === '') return { status: 200, contentType: 'text/html; charset=utf-8', body: referencePage(prefix) }
  if (file === 'init.js')
    return { status: 200, contentType: 'text/javascript; charset=utf-8', body: initScript(prefix) }
  const contentType = SWAGGER_UI_FILES[file]
  if (contentType === undefined) return { status: 404, contentType: 'text/plain; charset=utf-8', body: 'Not found\n' }
  return { status: 200, contentType, body: await readFile(join(swaggerUiDir, file)) }
}

function referencePage(prefix: string): string {
  const base = `${prefix}/reference`
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>orgkit API reference</title>
  <link rel="icon" type="image/png" href="${base}/favicon-32x32.png">
  <link rel="stylesheet" href="${base}/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${base}/swagger-ui-bundle.js"></script>
  <script src="${base}/init.js"></script>
</body>
</html>
`
}

/** In a file of its own rather than inline, so that a strict Content-Security-Policy can allow `'self'` only. */
function initScript(prefix: string): string {
  return `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(`${prefix}/openapi.json`)},
  dom_id: '#swagger-ui',
  deepLinking: true,
  // The page must not call out: no validator badge, which would fetch from a third party.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
})
`
}
