// CAP's `cds serve` (node_modules/@sap/cds/bin/serve.js) runs a project's own server.js in
// place of the stock one. This one changes two things:
//
// - The HTTP server listens on 127.0.0.1 only (the stock server listens on every interface).
// - The OData V2 adapter forwards to the V4 service over 127.0.0.1 too. Left alone, it would
//   use "localhost", which may resolve to ::1, where nothing listens.
//
// Once listening, it prints "batchwire-interop: listening on HOST:PORT, pid PID".
//
// With BATCHWIRE_INTEROP_STDIN_LIFELINE=1 the server also exits when its standard input
// closes. The Rust test holds that pipe open, so the server goes away with the test process
// even when the test is killed before it can stop the server itself.
'use strict'
const cds = require('@sap/cds')
const express = require('express')

const HOST = '127.0.0.1'

if (process.env.BATCHWIRE_INTEROP_STDIN_LIFELINE === '1') {
  process.stdin.on('end', () => process.exit(0))
  process.stdin.resume()
}

module.exports = async function serveOnLoopback (options) {
  const port = options.port ?? process.env.PORT ?? cds.env.server?.port ?? 4004
  cds.env.cov2ap = { ...cds.env.cov2ap, target: `http://${HOST}:${port}` }

  const app = options.app ?? express()
  const listen = app.listen.bind(app)
  app.listen = (p, ...rest) => listen(p, HOST, ...rest)

  const server = await cds.server({ ...options, app, port })
  server.once('listening', () => {
    const { address, port } = server.address()
    console.log(`batchwire-interop: listening on ${address}:${port}, pid ${process.pid}`)
  })
  server.once('error', (err) => {
    console.error(`batchwire-interop: cannot listen on ${HOST}:${port}: ${err.code ?? err.message}`)
    process.exit(1)
  })
  return server
}
