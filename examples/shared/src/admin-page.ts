import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** A file of the admin page: the page itself or its script. */
export interface AdminPageFile {
  status: number
  contentType: string
  body: string
}

const ENTRY = fileURLToPath(new URL('../admin/main.ts', import.meta.url))

/** Where the page's script is served. */
export const ADMIN_SCRIPT_PATH = '/admin/app.js'

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>orgkit admin</title>
<link rel="icon" href="data:,">
<style>
  :root { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; background: #f4f5f8; }
  body { margin: 0; }
  header { display: flex; align-items: center; justify-content: space-between; padding: 12px 24px; background: #1d2330; color: #fff; }
  header h1 { font-size: 18px; margin: 0; letter-spacing: .02em; }
  .who { font-size: 14px; }
  .layout { display: grid; grid-template-columns: 260px 1fr; gap: 24px; padding: 24px; align-items: start; }
  aside, .card { background: #fff; border: 1px solid #dde1e8; border-radius: 8px; padding: 16px; }
  main { display: grid; gap: 16px; }
  main > h2 { margin: 0; }
  h2 small, h3 small { color: #667085; font-weight: normal; font-size: 14px; }
  h3 { margin: 0 0 10px; font-size: 16px; }
  .narrow { max-width: 420px; margin: 48px auto; }
  .muted { color: #667085; }
  form { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 8px; margin-top: 10px; }
  input, select, button, textarea { font: inherit; padding: 6px 10px; border: 1px solid #c5cbd6; border-radius: 6px; background: #fff; }
  input, textarea { flex: 1 1 160px; min-width: 0; }
  textarea { resize: vertical; }
  button { cursor: pointer; background: #2f5bd3; color: #fff; border-color: #2f5bd3; }
  button:disabled { opacity: .45; cursor: default; }
  button.link { background: none; color: #2f5bd3; border: none; padding: 0 4px; }
  header button.link { color: #cfd8ff; }
  button.danger { background: #fff; color: #b42318; border-color: #f1b5ae; }
  ul.orgs { list-style: none; padding: 0; margin: 0 0 8px; }
  .org { width: 100%; text-align: left; background: none; color: inherit; border: 1px solid transparent; }
  .org.active { background: #e8eefc; border-color: #b9c8f5; }
  .plain { list-style: none; padding: 0; margin: 0; }
  .plain li { padding: 4px 0; border-bottom: 1px solid #eef0f4; }
  table { width: 100%; border-collapse: collapse; margin-top: 8px; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eef0f4; }
  th { font-size: 13px; color: #667085; font-weight: 600; }
  .pager { display: flex; gap: 8px; margin-top: 8px; }
  .notice { margin: 16px 24px 0; padding: 10px 14px; border-radius: 6px; }
  .notice.error { background: #fef3f2; border: 1px solid #f1b5ae; color: #912018; }
  .notice.info { background: #ecfdf3; border: 1px solid #a6e3bf; color: #05603a; }
  .secret code { background: #fff8e1; padding: 2px 6px; border-radius: 4px; word-break: break-all; }
  h4 { margin: 14px 0 4px; font-size: 13px; color: #667085; font-weight: 600; }
  .answers { margin-top: 8px; padding: 4px 12px; background: #f8f9fb; border: 1px solid #eef0f4; border-radius: 6px; }
  .answers li:last-child { border-bottom: none; }
  .answers li.ok { color: #05603a; }
  .answers li.refused { color: #912018; }
  .answers strong { color: #1d2330; font-weight: 600; }
  .audit time { color: #667085; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<div id="app" data-ready="false"></div>
<script type="module" src="${ADMIN_SCRIPT_PATH}"></script>
</body>
</html>
`

let script: Promise<string> | undefined

/**
 * The page's script, bundled from `admin/main.ts` with `@orgkit/client` from its sources,
 * once per process: the first request (or `bundleAdminScript()` at start) pays for it.
 */
export function bundleAdminScript(): Promise<string> {
  script ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['@orgkit/source'],
    write: false,
    logLevel: 'silent',
  }).then((result) => result.outputFiles[0]!.text)
  return script
}

/** `GET /` (`page`) and `GET /admin/app.js` (`script`): the organization admin page over `@orgkit/client`. */
export async function adminPageFile(file: 'page' | 'script'): Promise<AdminPageFile> {
  return file === 'page'
    ? { status: 200, contentType: 'text/html; charset=utf-8', body: HTML }
    : { status: 200, contentType: 'text/javascript; charset=utf-8', body: await bundleAdminScript() }
}
