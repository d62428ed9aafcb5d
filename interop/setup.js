#!/usr/bin/env node
// Installs the packages of package-lock.json into node_modules/ with `npm ci`, unless the
// last install here was made from the same package.json, package-lock.json and node
// version. `node setup.js --force` installs in any case.
//
// Install scripts are skipped: the database driver is sql.js (SQLite built to WebAssembly,
// "driver" in package.json), and the one package with an install script, better-sqlite3, is a
// dependency of @cap-js/sqlite that stays unused. Building it would need a C++ toolchain
// and node's headers.
'use strict'
const { createHash } = require('node:crypto')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const here = __dirname
const stampFile = path.join(here, 'node_modules', '.batchwire-interop-stamp')

const major = Number(process.versions.node.split('.')[0])
if (major < 20) {
  console.error(`interop setup: node >= 20 is needed, found ${process.version}`)
  process.exit(1)
}

const hash = createHash('sha256')
for (const file of ['package.json', 'package-lock.json']) {
  hash.update(fs.readFileSync(path.join(here, file)))
}
const stamp = `${process.version} ${hash.digest('hex')}\n`

const force = process.argv.includes('--force')
if (!force && fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === stamp) {
  console.log('interop setup: node_modules is up to date')
  process.exit(0)
}

const started = Date.now()
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
execFileSync(
  npm,
  ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier', '--loglevel=error'],
  { cwd: here, stdio: 'inherit', shell: process.platform === 'win32' }
)
fs.writeFileSync(stampFile, stamp)
console.log(`interop setup: installed in ${((Date.now() - started) / 1000).toFixed(1)} s`)
