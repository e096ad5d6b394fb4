// The live alert feed: one websocket for the whole console, with the
// filters the API applies (type, chain, min_severity, incident) and a
// resume after every reconnect from the last sequence seen (since=), so
// the list has no gap and no duplicate.
import { wsProtocols } from './api.js';

const MAX_KEPT = 2000;

export class Feed {
  constructor() {
    this.alerts = new Map(); // seq → alert
    this.order = []; // seqs in arrival order
    this.filter = { type: '', chain: '', min_severity: '', incident: '', status: '' };
    this.last = 0; // the last seq received under the current filter
    this.ws = null;
    this.state = 'idle';
    this.reason = '';
    this.listeners = new Set();
    this.retry = 0;
    this.timer = null;
    this.stopped = true;
    this.connects = 0;
    this.arrivals = new Map(); // seq → epoch ms the frame arrived (benchmark)
  }

  on(fn) { this.listeners.add(fn); return () => this.listeners.delete(fn); }
  emit(ev) { for (const fn of this.listeners) fn(ev); }

  setState(state, reason) {
    this.state = state;
    this.reason = reason || '';
    this.emit({ kind: 'state' });
  }

  // setFilter starts over: the list is what the new filter lets through,
  // from the start of the log.
  setFilter(f) {
    this.filter = Object.assign({ type: '', chain: '', min_severity: '', incident: '', status: '' }, f);
    this.alerts.clear();
    this.order = [];
    this.last = 0;
    this.emit({ kind: 'reset' });
    if (!this.stopped) this.reconnect(0);
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) { this.ws.onclose = null; this.ws.close(1000, 'signed out'); this.ws = null; }
    this.alerts.clear();
    this.order = [];
    this.last = 0;
    this.setState('idle');
  }

  url() {
    const q = new URLSearchParams();
    q.set('since', String(this.last));
    for (const [k, v] of Object.entries(this.filter)) if (v) q.set(k, v);
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    return proto + '//' + location.host + '/v1/alerts/ws?' + q.toString();
  }

  connect() {
    clearTimeout(this.timer);
    if (this.ws) { this.ws.onclose = null; this.ws.close(1000); }
    this.setState(this.connects ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(this.url(), wsProtocols());
    this.ws = ws;
    this.connects++;
    ws.onopen = () => { this.retry = 0; this.setState('live'); };
    ws.onmessage = (m) => this.receive(m.data);
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (ev.code === 4001 || ev.code === 1008) {
        this.setState('closed', ev.reason || 'the key was refused');
        this.emit({ kind: 'unauthorized' });
        return;
      }
      this.reconnect(Math.min(30000, 500 * 2 ** this.retry++));
      this.setState('reconnecting', ev.reason || ('closed ' + ev.code));
    };
  }

  reconnect(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  // drop closes the socket as a network failure would (tests use it to
  // prove the resume).
  drop() { if (this.ws) this.ws.close(4000, 'dropped by the page'); }

  receive(data) {
    let a;
    try { a = JSON.parse(data); } catch { return; }
    if (typeof a.seq !== 'number') {
      // A change of this tenant's triage of an alert (it has no seq of
      // its own and does not move since).
      if (a.type === 'triage.updated' && this.alerts.has(a.alert)) {
        const al = this.alerts.get(a.alert);
        const tr = Object.assign({}, al.triage);
        for (const k of ['status', 'assignee', 'updated']) if (a[k] !== undefined) tr[k] = a[k];
        if (a.comment) tr.comments = (tr.comments || []).concat([a.comment]);
        al.triage = tr;
        this.emit({ kind: 'triage', alert: al });
      } else this.emit({ kind: 'event', event: a });
      return;
    }
    this.arrivals.set(a.seq, performance.timeOrigin + performance.now());
    if (this.alerts.has(a.seq)) {
      this.alerts.set(a.seq, a);
      this.emit({ kind: 'update', alert: a });
      return;
    }
    if (a.seq > this.last) this.last = a.seq;
    this.alerts.set(a.seq, a);
    this.order.push(a.seq);
    if (this.order.length > MAX_KEPT) {
      const old = this.order.shift();
      this.alerts.delete(old);
      this.arrivals.delete(old);
    }
    this.emit({ kind: 'alert', alert: a });
  }
}
