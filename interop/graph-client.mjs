#!/usr/bin/env node
// Sends a Microsoft Graph JSON batch with Microsoft's Graph JavaScript SDK
// (@microsoft/microsoft-graph-client) to `batchwire serve --demo`, and checks the answer.
//
// Usage: node graph-client.mjs PORT SCENARIO, where SCENARIO is
//
// - success: two POSTs to /users, then a GET of the first user; the second POST and the GET
//   depend on the first POST. Expected: 201, 201, 200, with ids "1" and "2";
// - failure: a POST the server refuses ("fail": true), and a second POST that depends on it.
//   Expected: 400 InvalidRecord, then 424 for the dependent request;
// - gateway: against `batchwire serve --upstream` in front of CAP's V4 service (interop/srv):
//   a chain of a GET of customer 1, a GET of the first customer's ID, and a GET of a customer
//   that does not exist. Expected: 200 with ID 1, 200 with a `value`, then CAP's 404.
//
// For success and failure the server must be fresh: its ids start at 1. The batch is built with BatchRequestContent,
// sent by the SDK's Client (base URL http://127.0.0.1:PORT, version v1.0, so the batch goes to
// /v1.0/$batch), and read with BatchResponseContent. A JSON summary goes to standard output;
// the exit status is 1 if the answer is not what the scenario expects, 2 on a usage error.
import { BatchRequestContent, BatchResponseContent, Client } from '@microsoft/microsoft-graph-client'

const [port, scenario] = process.argv.slice(2)
if (!/^\d+$/.test(port ?? '') || !['success', 'failure', 'gateway'].includes(scenario)) {
  console.error('usage: node graph-client.mjs PORT success|failure|gateway')
  process.exit(2)
}
const origin = `http://127.0.0.1:${port}`

const client = Client.init({
  baseUrl: origin,
  defaultVersion: 'v1.0',
  // The demo server checks no token. The SDK sends one only to Graph's own hosts and to
  // `customHosts`, so none goes to loopback at all.
  authProvider: (done) => done(null, 'no-token'),
})

// A sub-request. BatchRequestContent keeps only the path of a Request's URL (node's Request
// needs an absolute one), so `/users` goes into the batch as `/users`, relative to /v1.0.
function step (id, method, path, body, dependsOn) {
  const init = { method }
  if (body !== undefined) {
    init.headers = { 'Content-Type': 'application/json' }
    init.body = JSON.stringify(body)
  }
  return { id, request: new Request(new URL(path, origin), init), ...(dependsOn ? { dependsOn } : {}) }
}

const first = { displayName: 'Ada Lovelace', mailNickname: 'ada' }
const second = { displayName: 'Grace Hopper', mailNickname: 'grace' }
let steps, expected
if (scenario === 'success') {
  // The SDK accepts only three shapes of dependencies (none, a chain, or all on the same
  // one); here the second POST and the GET both depend on the first POST.
  steps = [
    step('1', 'POST', '/users', first),
    step('2', 'POST', '/users', second, ['1']),
    step('3', 'GET', '/users/1', undefined, ['1']),
  ]
  expected = {
    1: { status: 201, body: { id: '1', ...first } },
    2: { status: 201, body: { id: '2', ...second } },
    3: { status: 200, body: { id: '1', ...first } },
  }
} else if (scenario === 'gateway') {
  steps = [
    step('1', 'GET', '/Customers(1)'),
    step('2', 'GET', '/Customers?$top=1&$select=ID', undefined, ['1']),
    step('3', 'GET', '/Customers(999999)', undefined, ['2']),
  ]
  expected = {
    1: { status: 200, body: { ID: 1 } },
    2: { status: 200, hasValue: true },
    3: { status: 404, error: '404' },
  }
} else {
  steps = [
    step('1', 'POST', '/users', { displayName: 'Refused', fail: true }),
    step('2', 'POST', '/users', { displayName: 'Depends on the refused one' }, ['1']),
  ]
  expected = {
    1: { status: 400, error: 'InvalidRecord' },
    2: { status: 424 },
  }
}

const batch = new BatchRequestContent(steps)
const content = await batch.getContent()
let answer
try {
  answer = await client.api('/$batch').post(content)
} catch (e) {
  console.error(`graph-client: the batch failed: ${e.statusCode ?? ''} ${e.code ?? ''} ${e.message}`)
  process.exit(1)
}
const responses = new BatchResponseContent(answer)

const summary = { scenario, sent: content.requests.map(({ id, method, url, dependsOn }) => ({ id, method, url, dependsOn })), statuses: {}, bodies: {} }
for (const [id, response] of responses.getResponses()) {
  summary.statuses[id] = response.status
  const text = await response.text()
  try {
    summary.bodies[id] = text === '' ? null : JSON.parse(text)
  } catch {
    summary.bodies[id] = text
  }
}
console.log(JSON.stringify(summary, null, 2))

const mismatches = []
for (const [id, want] of Object.entries(expected)) {
  const status = summary.statuses[id]
  const body = summary.bodies[id]
  if (status !== want.status) {
    mismatches.push(`request ${id}: status ${status}, expected ${want.status}`)
    continue
  }
  if (body === '[object Object]') {
    // BatchResponseContent turns a JSON body back into text only when the sub-response's
    // headers have a member spelled exactly `Content-Type`, as Graph writes it; otherwise the
    // Response it makes holds the text "[object Object]".
    const headers = answer.responses.find((r) => r.id === id)?.headers
    mismatches.push(`request ${id}: the SDK could not read the JSON body, as the sub-response's headers have no member spelled "Content-Type": ${JSON.stringify(headers)}`)
    continue
  }
  // The server may add members; the expected ones must be there with these values.
  for (const [key, value] of Object.entries(want.body ?? {})) {
    if (body?.[key] !== value) mismatches.push(`request ${id}: ${key} is ${JSON.stringify(body?.[key])}, expected ${JSON.stringify(value)}`)
  }
  if (want.hasValue && !Array.isArray(body?.value)) {
    mismatches.push(`request ${id}: expected a collection with a value array, got ${JSON.stringify(body)}`)
  }
  if (want.error !== undefined && (body?.error?.code !== want.error || !body?.error?.message)) {
    mismatches.push(`request ${id}: expected an error ${want.error} with a message, got ${JSON.stringify(body)}`)
  }
}
const ids = Object.keys(summary.statuses).sort().join(',')
if (ids !== Object.keys(expected).sort().join(',')) mismatches.push(`responses for ${ids}, expected ${Object.keys(expected).join(',')}`)
for (const m of mismatches) console.error(`graph-client: mismatch: ${m}`)
process.exit(mismatches.length ? 1 : 0)
