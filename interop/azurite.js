#!/usr/bin/env node
// Runs Azurite's blob service (node_modules/azurite/dist/src/blob/main.js) with the arguments
// given, for batchwire's Azurite interop test:
//
//   node azurite.js --blobHost 127.0.0.1 --blobPort PORT --inMemoryPersistence ...
//
// One thing is added: with BATCHWIRE_INTEROP_STDIN_LIFELINE=1 the service exits when its
// standard input closes. The Rust test holds that pipe open, so the service goes away with the
// test process even when the test is killed before it can stop the service itself.
'use strict'

if (process.env.BATCHWIRE_INTEROP_STDIN_LIFELINE === '1') {
  process.stdin.on('end', () => process.exit(0))
  process.stdin.resume()
}

// Azurite reads its options from process.argv, which are this script's arguments.
require('azurite/dist/src/blob/main.js')
