import type { DemoHost } from '@orgkit/example-shared'
import { createExpressRouter } from '@orgkit/express'
import express, { type Express } from 'express'

/** The host app: its own routes (here only the demo sign-up) and orgkit's under `/api`. */
export function createApp(host: DemoHost): Express {
  const app = express()
  // DEMO ONLY: creates users without any authentication, standing in for the host's sign-up.
  app.post('/demo/users', express.json(), async (req, res) => {
    const { status, body } = await host.createUser(req.body)
    res.status(status).json(body)
  })
  // Where the printed invitation links lead.
  app.get('/invitations/accept', (req, res) => {
    const { status, text } = host.acceptPage(req.query.token)
    res.status(status).type('text/plain').send(text)
  })
  app.use('/api', createExpressRouter(host.orgkit, { resolveActor: (req) => host.resolveActor(req.headers) }))
  return app
}
