#!/usr/bin/env node
// Hypercore reader of kpnode's peer comparison (docs/performance.md, "Peer
// comparison: Hypercore").
//
//   node reader.js DIR KEY PORT N
//
// Opens a fresh Corestore at DIR (which must not hold one yet), connects to
// the writer on 127.0.0.1:PORT, downloads blocks 0..N-1 of the core KEY
// (hex) and waits until it holds all of them contiguously. Hypercore
// verifies as it downloads: the signature of the writer on the tree root
// and a Merkle proof for every block. It then checks the last block and
// prints one JSON line:
//
//   {"records":N,"seconds":S,"records_per_s":R,"cpu_seconds":C}
//
// seconds runs from this process's start (node's time origin, so loading
// the modules counts, as starting the daemon counts for kpnode) to the
// moment the last block is stored; cpu_seconds is this process's user and
// system CPU time over the same span. Errors go to stderr with exit code 1.
'use strict'

const fs = require('fs')
const net = require('net')
const { performance } = require('perf_hooks')
const Corestore = require('corestore')

const RECORD_SIZE = 1024

function usage (msg) {
  process.stderr.write(`reader.js: ${msg}\nusage: node reader.js DIR KEY PORT N\n`)
  process.exit(2)
}

function connect (store, port) {
  const socket = net.connect({ host: '127.0.0.1', port })
  socket.setNoDelay(true)
  const stream = store.replicate(true)
  socket.pipe(stream).pipe(socket)
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, stream }))
    socket.once('error', (err) => reject(new Error(`connect to the writer on 127.0.0.1:${port}: ${err.message}`)))
  })
}

// download waits for the writer's signed length, then for blocks 0..n-1.
async function download (core, n) {
  while (core.length < n) {
    if (!(await core.update({ wait: true })) && core.length < n) {
      throw new Error(`the writer offers ${core.length} blocks, want ${n}`)
    }
  }
  await core.download({ start: 0, end: n }).done()
  if (core.contiguousLength < n) {
    throw new Error(`holds ${core.contiguousLength} contiguous blocks after the download, want ${n}`)
  }
}

async function main () {
  const [dir, key, portArg, nArg] = process.argv.slice(2)
  const port = Number(portArg)
  const n = Number(nArg)
  if (!dir || !/^[0-9a-f]{64}$/.test(key || '')) usage('want a directory and a 64-hex-digit core key')
  if (!Number.isInteger(port) || port < 1 || port > 65535) usage(`bad port ${portArg}`)
  if (!Number.isInteger(n) || n < 1) usage(`bad record count ${nArg}`)
  if (fs.existsSync(dir) && fs.readdirSync(dir).length > 0) usage(`${dir} is not empty: the reader must start fresh`)

  const store = new Corestore(dir)
  const core = store.get({ key: Buffer.from(key, 'hex') })
  await core.ready()
  // Until found() is called, update() waits for a peer rather than
  // answering "no upgrade" while the replication handshake is under way.
  const found = core.findingPeers()
  const { socket } = await connect(store, port)
  try {
    await download(core, n)
  } finally {
    found()
  }
  const seconds = performance.now() / 1000
  const cpu = process.cpuUsage()

  const last = await core.get(n - 1, { wait: false })
  if (!last || last.length !== RECORD_SIZE) throw new Error(`block ${n - 1} is ${last ? last.length : 'missing'}, want ${RECORD_SIZE} bytes`)
  process.stdout.write(JSON.stringify({
    records: n,
    seconds,
    records_per_s: n / seconds,
    cpu_seconds: (cpu.user + cpu.system) / 1e6
  }) + '\n')
  socket.destroy()
  await store.close()
}

main().catch((err) => {
  process.stderr.write(`reader.js: ${err.stack || err}\n`)
  process.exit(1)
})
