#!/usr/bin/env node
// Hypercore writer of kpnode's peer comparison (docs/performance.md, "Peer
// comparison: Hypercore").
//
//   node writer.js DIR N [PORT]
//
// Appends N blocks of 1 KiB (random bytes from a fixed seed) to a new core
// in a Corestore at DIR, then serves replication of that store on
// 127.0.0.1:PORT (0 or absent: a free port) over plain TCP, one
// store.replicate(false) stream per connection (Noise-encrypted by
// Hypercore itself). When it listens it prints one JSON line:
//
//   {"ready":true,"port":P,"key":"<core key, hex>","records":N,"append_seconds":S}
//
// and serves until it receives SIGTERM or SIGINT. Errors go to stderr with
// exit code 1.
'use strict'

const net = require('net')
const crypto = require('crypto')
const Corestore = require('corestore')

const RECORD_SIZE = 1024
// Blocks per core.append call. Each call signs the new tree root once; the
// reader checks one signed root per upgrade and a Merkle proof per block,
// whatever the batching, so this only shortens the (untimed) setup.
const BATCH = 1000

function usage (msg) {
  process.stderr.write(`writer.js: ${msg}\nusage: node writer.js DIR N [PORT]\n`)
  process.exit(2)
}

// records yields n blocks of RECORD_SIZE pseudo-random bytes: the AES-CTR
// keystream of a fixed key, so that every run appends the same data.
function * records (n) {
  const key = crypto.createHash('sha256').update('kpnode peer comparison').digest().subarray(0, 16)
  const stream = crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16))
  const zeros = Buffer.alloc(RECORD_SIZE)
  for (let i = 0; i < n; i++) yield stream.update(zeros)
}

async function appendAll (core, n) {
  let batch = []
  for (const block of records(n)) {
    batch.push(block)
    if (batch.length === BATCH) {
      await core.append(batch)
      batch = []
    }
  }
  if (batch.length > 0) await core.append(batch)
}

function serve (store, port) {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true)
    const stream = store.replicate(false)
    socket.pipe(stream).pipe(socket)
    // A reader that leaves ends its stream: not an error for the writer.
    stream.on('error', () => socket.destroy())
    socket.on('error', () => stream.destroy())
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

async function main () {
  const [dir, nArg, portArg = '0'] = process.argv.slice(2)
  const n = Number(nArg)
  const port = Number(portArg)
  if (!dir || !Number.isInteger(n) || n < 1) usage('want a directory and a positive record count')
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage(`bad port ${portArg}`)

  const store = new Corestore(dir)
  const core = store.get({ name: 'records' })
  await core.ready()
  const start = process.hrtime.bigint()
  await appendAll(core, n)
  const appendSeconds = Number(process.hrtime.bigint() - start) / 1e9
  if (core.length !== n) throw new Error(`core has ${core.length} blocks after appending ${n}`)

  const server = await serve(store, port)
  const stop = async () => {
    server.close()
    await store.close()
    process.exit(0)
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  process.stdout.write(JSON.stringify({
    ready: true,
    port: server.address().port,
    key: core.key.toString('hex'),
    records: n,
    append_seconds: appendSeconds
  }) + '\n')
}

main().catch((err) => {
  process.stderr.write(`writer.js: ${err.stack || err}\n`)
  process.exit(1)
})
