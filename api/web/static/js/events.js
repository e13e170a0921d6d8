// events.js: the node's event stream (GET /api/events, server-sent events).
// The stream is read with fetch() and parsed here, so that a 401 (the
// session ended) can be told apart from a break. After a break the stream resumes with
// Last-Event-ID; a "missed" event means some events were dropped and the
// page should reload its data.

import { typeLabel } from './format.js';

const MIN_RETRY = 1000;
const MAX_RETRY = 15000;

/** EventStream reads the node's events until stop(). Callbacks:
 * onEvent(ev) for each event ({id, time, kind, fields}), onMissed() when
 * events were lost, onState('live'|'retrying'|'stopped'), onUnauthorized(). */
export class EventStream {
  constructor(callbacks) {
    this.cb = callbacks;
    this.lastId = '';
    this.ctrl = null;
    this.stopped = false;
    this.retry = MIN_RETRY;
  }

  /** start connects and keeps reconnecting until stop(). */
  async start() {
    while (!this.stopped) {
      try {
        await this.connect();
      } catch (e) {
        if (this.stopped) break;
        this.cb.onState('retrying', e);
      }
      if (this.stopped) break;
      await this.pause(this.retry);
      this.retry = Math.min(this.retry * 2, MAX_RETRY);
    }
    this.cb.onState('stopped');
  }

  stop() {
    this.stopped = true;
    if (this.ctrl) this.ctrl.abort();
    if (this.wake) this.wake();
  }

  pause(ms) {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => { clearTimeout(t); resolve(); };
    });
  }

  async connect() {
    this.ctrl = new AbortController();
    const headers = { Accept: 'text/event-stream' };
    if (this.lastId) headers['Last-Event-ID'] = this.lastId;
    const resp = await fetch('/api/events', { headers, signal: this.ctrl.signal, cache: 'no-store', credentials: 'same-origin' });
    if (resp.status === 401) {
      this.stopped = true;
      this.cb.onUnauthorized();
      return;
    }
    if (!resp.ok || !resp.body) throw new Error('event stream: the node answered ' + resp.status);
    this.retry = MIN_RETRY;
    this.cb.onState('live');
    await this.read(resp.body.pipeThrough(new TextDecoderStream()).getReader());
  }

  async read(reader) {
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('event stream ended');
      buf += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        this.dispatch(parseBlock(buf.slice(0, end)));
        buf = buf.slice(end + 2);
      }
    }
  }

  dispatch(msg) {
    if (msg.id) this.lastId = msg.id;
    if (msg.event === 'missed') {
      this.cb.onMissed();
      return;
    }
    if (!msg.data) return; // a comment (keep-alive) or an empty block
    let ev;
    try {
      ev = JSON.parse(msg.data);
    } catch {
      return;
    }
    this.cb.onEvent(ev);
  }
}

/** parseBlock parses one SSE message: "field: value" lines; lines starting
 * with ':' are comments; data lines are joined with newlines. */
export function parseBlock(block) {
  const msg = { id: '', event: 'message', data: '' };
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (name === 'data') data.push(value);
    else if (name === 'event') msg.event = value;
    else if (name === 'id') msg.id = value;
  }
  msg.data = data.join('\n');
  return msg;
}

/** describe says what an event means, in plain words. */
export function describe(ev) {
  const f = ev.fields || {};
  switch (ev.kind) {
    case 'entry_published':
      return 'This node published entry #' + f.seq + ' (' + typeLabel(f.type) + ').';
    case 'entry_received':
      return 'Received entry #' + f.seq + ' (' + typeLabel(f.type) + ') from ' + f.feed + '.';
    case 'receipt':
      return 'Delivered: ' + f.partner + '\'s node holds our entries up to #' + f.seq + '.';
    case 'partner_connected':
      return 'Connected to ' + f.partner + '.';
    case 'partner_lost':
      return 'Lost the connection to ' + f.partner + '.';
    case 'partner_paused':
      return 'The exchange with ' + f.partner + ' was paused.';
    case 'partner_resumed':
      return 'The exchange with ' + f.partner + ' was resumed.';
    case 'finding_acknowledged':
      return 'Finding ' + f.id + ' was acknowledged.';
    case 'equivocation':
      return f.feed + ' sent two different entries for #' + f.seq + ': the evidence is kept. Tell your administrator.';
    case 'finding_raised':
      return 'New finding ' + f.id + ' (' + f.severity + ').';
    case 'finding_cleared':
      return 'Finding ' + f.id + ' was cleared.';
    default:
      return ev.kind.replace(/_/g, ' ') + '.';
  }
}
