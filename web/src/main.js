// chainhound's web console: sign in with an API key, then the live alert
// feed, an alert's path and triage, incidents, the trace graph and
// screening. Everything it shows comes from the API with the signed-in
// key, so it shows only what that key may see.
import * as api from './api.js';
import { Feed } from './feed.js';
import { el, clear, option } from './dom.js';
import { amount, short, pct, nativeAsset, assetOfKey } from './format.js';
import { draw, svg, download } from './graph.js';

const TYPES = ['taint.exchange_deposit', 'taint.mixer_deposit', 'taint.mixer_withdrawal', 'taint.bridge',
  'taint.coinjoin', 'taint.sanctioned', 'treasury.outflow', 'treasury.drain', 'alert.confirmed', 'alert.retracted'];
const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];
const CHAINS = ['ethereum', 'bitcoin'];
const STATUSES = ['new', 'acknowledged', 'investigating', 'resolved', 'false_positive'];

const feed = new Feed();
const view = document.getElementById('view');
let cy = null; // the trace graph on screen
let unmount = () => {};

// The test hook: what the page shows, read by the browser tests and the
// benchmark (cmd/chainhound/console_e2e_test.go).
window.__ch = {
  feed,
  seqs: () => feed.order.slice(),
  rows: () => [...document.querySelectorAll('#alert-rows tr')].map((r) => Number(r.dataset.seq)),
  rowTimes: new Map(), // seq → epoch ms its row was inserted
  rowWaiters: new Map(), // seq → resolve functions of waitRow
  // waitRow resolves with the epoch ms at which seq's row was inserted.
  waitRow: (seq) => new Promise((resolve) => {
    if (window.__ch.rowTimes.has(seq)) { resolve(window.__ch.rowTimes.get(seq)); return; }
    const ws = window.__ch.rowWaiters.get(seq) || [];
    ws.push(resolve);
    window.__ch.rowWaiters.set(seq, ws);
  }),
  graph: () => (cy ? {
    nodes: cy.nodes().map((n) => ({ id: n.id(), address: n.data('address'), chain: n.data('chain'), kind: n.data('kind'), name: n.data('name'), classes: n.classes() })),
    edges: cy.edges().map((e) => ({ source: e.data('source'), target: e.data('target'), tx: e.data('tx'), amount: e.data('amount'), formatted: e.data('formatted'), chain: e.data('chain'), hop: e.data('hop'), classes: e.classes() })),
  } : null),
  svg: () => (cy ? svg(cy) : ''),
  png: () => (cy ? cy.png({ full: true, bg: '#ffffff' }) : ''),
  // drawnStyles draws a FlowGraph off screen and returns the shape and
  // colours cytoscape gives each node and edge (tests check that mixers,
  // bridges and cross-chain hops are drawn apart).
  drawnStyles: (g) => {
    const box = document.createElement('div');
    box.className = 'graph';
    document.body.append(box);
    const c = draw(box, g);
    const out = {
      nodes: c.nodes().map((n) => ({ address: n.data('address'), kind: n.data('kind'), shape: n.style('shape'), color: n.style('background-color'), border: n.style('border-style') })),
      edges: c.edges().map((e) => ({ tx: e.data('tx'), style: e.style('line-style'), color: e.style('line-color'), label: e.data('label') })),
    };
    c.destroy();
    box.remove();
    return out;
  },
  // tracking renders an incident's tracking and taint summary as the
  // incidents page does.
  tracking: (inc) => {
    const t = trackingView(inc.tracking);
    const p = t.querySelector('progress');
    return { state: t.dataset.state || '', text: t.textContent, progress: p ? Number(p.value) : null, summary: taintSummary(inc).textContent };
  },
  // pathItems renders an alert's path as its page does.
  pathItems: (a) => [...pathList(a).children].map((li) => ({ classes: li.className, text: li.textContent })),
  violations: [], // Content-Security-Policy violations seen
  errors: [], // uncaught errors
};
document.addEventListener('securitypolicyviolation', (e) => window.__ch.violations.push(e.violatedDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '') + ':' + (e.lineNumber || '')));
window.addEventListener('error', (e) => window.__ch.errors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => window.__ch.errors.push(String(e.reason)));

function assetOf(a) { return a.asset || nativeAsset(a.chain); }

function labelName(a) { return (a.label && (a.label.name || a.label.label)) || ''; }

function triageOf(a) { return a.triage || {}; }

// ---- sign in ----

async function signIn(key) {
  const err = document.getElementById('signin-error');
  err.textContent = '';
  try {
    await api.call('GET', '/v1/alerts?limit=1', undefined, key);
  } catch (e) {
    err.textContent = e.status === 401 ? 'That key was refused: ' + e.message : 'Cannot sign in: ' + e.message;
    return;
  }
  api.setKey(key);
  document.getElementById('signin-key').value = '';
  enter();
}

function signOut() {
  api.forget();
  feed.stop();
  cy = null;
  document.getElementById('nav').hidden = true;
  document.getElementById('signout').hidden = true;
  view.hidden = true;
  clear(view);
  document.getElementById('signin').hidden = false;
  document.getElementById('feed-state').textContent = '';
  if (location.hash) history.replaceState(null, '', location.pathname);
}

function enter() {
  document.getElementById('signin').hidden = true;
  document.getElementById('nav').hidden = false;
  document.getElementById('signout').hidden = false;
  view.hidden = false;
  feed.start();
  route();
}

feed.on((ev) => {
  if (ev.kind === 'state') {
    const s = document.getElementById('feed-state');
    s.textContent = 'feed: ' + feed.state + (feed.reason ? ' (' + feed.reason + ')' : '');
    s.dataset.state = feed.state;
  } else if (ev.kind === 'unauthorized') {
    signOut();
    document.getElementById('signin-error').textContent = 'The key was refused: ' + feed.reason;
  }
});

// ---- routing ----

function route() {
  if (!api.key()) { signOut(); return; }
  unmount();
  unmount = () => {};
  cy = null;
  clear(view);
  const hash = location.hash.replace(/^#/, '') || '/alerts';
  const [path, query] = hash.split('?');
  const q = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean);
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.view === parts[0]);
  switch (parts[0]) {
    case 'alert': showAlert(Number(parts[1])); break;
    case 'incidents': showIncidents(); break;
    case 'incident': showIncident(decodeURIComponent(parts[1] || '')); break;
    case 'trace': showTrace(q); break;
    case 'screen': showScreen(q); break;
    default: showAlerts();
  }
}

// ---- alerts ----

function alertRow(a) {
  const t = triageOf(a);
  return el('tr', { dataset: { seq: a.seq, severity: a.severity }, class: 'sev-' + a.severity, onclick: () => { location.hash = '#/alert/' + a.seq; } },
    el('td', { text: a.seq }),
    el('td', { text: a.time ? new Date(a.time).toLocaleTimeString() : '' }),
    el('td', {}, el('span', { class: 'badge sev-' + a.severity, text: a.severity })),
    el('td', { text: a.type }),
    el('td', { text: a.chain }),
    el('td', { class: 'num', text: amount(a.tainted || a.amount, assetOf(a)) }),
    el('td', { title: a.to, text: labelName(a) || short(a.to) }),
    el('td', { text: a.incident ? short(a.incident) : '' }),
    el('td', { class: 'status', text: t.status || 'new' }),
  );
}

function showAlerts() {
  const f = feed.filter;
  const sel = (name, values, current, any) => el('select', { name, id: 'filter-' + name },
    option('', any, !current), values.map((v) => option(v, v, v === current)));
  const statusSel = sel('status', STATUSES, f.status, 'any status');
  const form = el('form', { id: 'filters', class: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    const d = new FormData(form);
    feed.setFilter({ type: d.get('type'), chain: d.get('chain'), min_severity: d.get('min_severity'), incident: (d.get('incident') || '').trim(), status: d.get('status') });
    renderRows();
  } },
  sel('type', TYPES, f.type, 'any type'),
  sel('chain', CHAINS, f.chain, 'any chain'),
  sel('min_severity', SEVERITIES, f.min_severity, 'any severity'),
  el('input', { name: 'incident', id: 'filter-incident', placeholder: 'incident id', value: f.incident }),
  statusSel,
  el('button', { type: 'submit', text: 'Apply' }));
  const tbody = el('tbody', { id: 'alert-rows' });
  const count = el('p', { class: 'muted', id: 'alert-count' });
  view.append(el('h2', { text: 'Live alerts' }), form, count,
    el('table', { class: 'alerts' }, el('thead', {}, el('tr', {}, ['seq', 'time', 'severity', 'type', 'chain', 'tainted', 'to', 'incident', 'status'].map((h) => el('th', { text: h })))), tbody));
  // The server applies every filter, the triage status too; an alert
  // whose triage changed since stays listed until the filter is applied
  // again.
  const renderRows = () => {
    clear(tbody);
    const rows = [];
    for (let i = feed.order.length - 1; i >= 0 && rows.length < 500; i--) {
      const a = feed.alerts.get(feed.order[i]);
      rows.push(alertRow(a));
    }
    tbody.append(...rows);
    count.textContent = feed.order.length + ' alerts received';
  };
  renderRows();
  unmount = feed.on((ev) => {
    if (ev.kind === 'reset') renderRows();
    else if (ev.kind === 'alert') {
      tbody.prepend(alertRow(ev.alert));
      const at = performance.timeOrigin + performance.now();
      window.__ch.rowTimes.set(ev.alert.seq, at);
      for (const resolve of window.__ch.rowWaiters.get(ev.alert.seq) || []) resolve(at);
      window.__ch.rowWaiters.delete(ev.alert.seq);
      if (tbody.children.length > 500) tbody.lastChild.remove();
      count.textContent = feed.order.length + ' alerts received';
    } else if (ev.kind === 'update' || ev.kind === 'triage') renderRows();
  });
}

async function fetchAlert(seq) {
  if (feed.alerts.has(seq)) return feed.alerts.get(seq);
  const page = await api.call('GET', '/v1/alerts?since=' + (seq - 1) + '&limit=1');
  const a = page && page.alerts && page.alerts[0];
  if (!a || a.seq !== seq) throw new Error('no alert ' + seq + ' that this key may see');
  return a;
}

function hopAsset(a, hop) {
  return hop.chain === a.chain ? assetOf(a) : nativeAsset(hop.chain);
}

function pathList(a) {
  const hops = a.path || [];
  return el('ol', { class: 'path', id: 'alert-path' }, hops.map((h, i) => {
    const via = h.via ? h.via.kind : '';
    return el('li', { class: ['hop', via ? 'via-' + via : '', 'chain-' + h.chain].join(' '), dataset: { hop: i + 1, chain: h.chain, via } },
      el('span', { class: 'badge chain', text: h.chain }), ' ',
      via ? el('span', { class: 'badge via ' + via, text: 'via ' + via + (h.via.protocol ? ' (' + h.via.protocol + ')' : '') + (h.via.label ? ': ' + h.via.label : '') }) : null, ' ',
      el('span', { class: 'addr', title: h.from, text: short(h.from) }), ' → ',
      el('span', { class: 'addr', title: h.to, text: short(h.to) }), ' ',
      el('strong', { class: 'amount', text: amount(h.amount, hopAsset(a, h)) }),
      h.confidence ? el('span', { class: 'muted', text: ' confidence ' + pct(h.confidence) }) : null,
      el('div', { class: 'tx muted', text: 'tx ' + h.tx }));
  }));
}

function triagePanel(a) {
  const t = triageOf(a);
  const msg = el('p', { class: 'muted', id: 'triage-msg' });
  const status = el('select', { id: 'triage-status' }, STATUSES.map((s) => option(s, s, s === (t.status || 'new'))));
  const assignee = el('input', { id: 'triage-assignee', placeholder: 'assignee', value: t.assignee || '' });
  const comments = el('ul', { id: 'triage-comments', class: 'comments' }, (t.comments || []).map(commentItem));
  const text = el('textarea', { id: 'triage-comment', rows: 2, placeholder: 'comment' });
  const save = async (ev) => {
    ev.preventDefault();
    try {
      const r = await api.call('PATCH', '/v1/alerts/' + a.seq, { status: status.value, assignee: assignee.value.trim() });
      a.triage = Object.assign({}, a.triage, r);
      msg.textContent = 'saved: ' + status.value + (assignee.value.trim() ? ', assigned to ' + assignee.value.trim() : '');
    } catch (e) { msg.textContent = 'not saved: ' + e.message; }
  };
  const comment = async (ev) => {
    ev.preventDefault();
    if (!text.value.trim()) return;
    try {
      const tr = await api.call('POST', '/v1/alerts/' + a.seq + '/comments', { text: text.value.trim() });
      if (tr && tr.comments) {
        a.triage = tr;
        clear(comments).append(...tr.comments.map(commentItem));
      } else comments.append(commentItem({ text: text.value.trim() }));
      text.value = '';
      msg.textContent = 'comment added';
    } catch (e) { msg.textContent = 'comment not added: ' + e.message; }
  };
  return el('section', { class: 'panel triage' }, el('h3', { text: 'Triage' }),
    el('form', { onsubmit: save }, el('label', { text: 'status ' }, status), el('label', { text: ' assignee ' }, assignee), el('button', { type: 'submit', id: 'triage-save', text: 'Save' })),
    comments,
    el('form', { onsubmit: comment }, text, el('button', { type: 'submit', id: 'triage-add', text: 'Comment' })),
    msg);
}

function commentItem(c) {
  return el('li', {}, el('span', { class: 'muted', text: [c.by || c.author, c.time ? new Date(c.time).toLocaleString() : ''].filter(Boolean).join(' · ') + ' ' }), c.text || '');
}

async function showAlert(seq) {
  view.append(el('p', { class: 'muted', text: 'loading alert ' + seq + '…' }));
  let a;
  try { a = await fetchAlert(seq); } catch (e) { clear(view).append(el('p', { class: 'error', text: e.message })); return; }
  clear(view);
  const asset = assetOf(a);
  const dl = (pairs) => el('dl', { class: 'facts' }, pairs.filter((p) => p[1] !== undefined && p[1] !== '' && p[1] !== null).map(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]));
  const seedTx = (a.path && a.path.length && a.path[0].chain === a.chain) ? a.path[0].tx : a.tx;
  view.append(
    el('h2', {}, el('span', { class: 'badge sev-' + a.severity, text: a.severity }), ' ', a.type, ' #' + a.seq),
    dl([
      ['chain', a.chain],
      ['block', a.block ? String(a.block.number) : ''],
      ['tx', a.tx],
      ['from', a.from],
      ['to', a.to + (labelName(a) ? ' (' + labelName(a) + ')' : '')],
      ['amount', amount(a.amount, asset)],
      ['tainted', amount(a.tainted, asset) + ' (' + pct(a.share) + ')'],
      ['confidence', pct(a.confidence)],
      ['hops', String(a.hops ?? '')],
      ['incident', a.incident ? el('a', { href: '#/incident/' + encodeURIComponent(a.incident), text: a.incident }) : ''],
      ['destination', a.dest ? a.dest.chain + ' ' + (a.dest.address || '') + ' ' + (a.dest.asset || '') : ''],
      ['retracts', a.retracts ? el('a', { href: '#/alert/' + a.retracts, text: '#' + a.retracts }) : ''],
      ['time', a.time],
    ]),
    el('h3', { text: 'Path from the theft' }),
    pathList(a),
    el('p', {}, el('a', { id: 'open-trace', class: 'button', href: '#/trace?chain=' + encodeURIComponent(a.path && a.path.length ? a.path[0].chain : a.chain) + '&tx=' + encodeURIComponent(a.path && a.path.length ? a.path[0].tx : seedTx), text: 'Trace graph of the theft' })),
    triagePanel(a),
  );
}

// ---- incidents ----

function taintSummary(inc) {
  const s = inc.summary || {};
  const amounts = (m) => Object.entries(m || {}).map(([k, v]) => amount(v, assetOfKey(inc.chain, k))).join(', ');
  return el('div', { class: 'summary' },
    el('span', { text: 'stolen ' + (amounts(s.stolen) || '—') }), ' · ',
    el('span', { text: 'still tainted ' + (amounts(s.tainted) || '—') }), ' · ',
    el('span', { text: (s.holders || []).length + ' holders' }), ' · ',
    el('span', { text: (s.services || []).length + ' services reached' }));
}

function trackingView(tr) {
  if (!tr) return el('span', { class: 'muted', text: '—' });
  const box = el('span', { class: 'tracking state-' + tr.state, dataset: { state: tr.state } }, el('span', { class: 'badge', text: tr.state.replace('_', ' ') }));
  if (tr.state === 'catching_up' && tr.to > tr.from) {
    const done = Math.max(0, Math.min(1, ((tr.at || tr.from) - tr.from) / (tr.to - tr.from)));
    box.append(' ', el('progress', { max: 100, value: Math.round(done * 100) }), ' block ' + (tr.at || tr.from) + ' of ' + tr.to + (tr.rate ? ' (' + Math.round(tr.rate) + ' blocks/s)' : ''));
  } else if (tr.state === 'failed') box.append(' ', el('span', { class: 'error', text: tr.reason || '' }));
  return box;
}

async function showIncidents() {
  view.append(el('h2', { text: 'Incidents' }));
  let list;
  try { list = (await api.call('GET', '/v1/incidents')).incidents || []; } catch (e) {
    view.append(el('p', { class: 'error', text: e.status === 403 ? 'This key may not list incidents: ' + e.message : e.message })); return;
  }
  if (!list.length) { view.append(el('p', { class: 'muted', text: 'No incident this key may see.' })); return; }
  view.append(el('table', { class: 'incidents', id: 'incident-rows' },
    el('thead', {}, el('tr', {}, ['id', 'title', 'chain', 'status', 'tracking', 'taint'].map((h) => el('th', { text: h })))),
    el('tbody', {}, list.map((inc) => el('tr', { dataset: { id: inc.id } },
      el('td', {}, el('a', { href: '#/incident/' + encodeURIComponent(inc.id), text: inc.id })),
      el('td', { text: inc.title || '' }),
      el('td', { text: inc.chain }),
      el('td', { text: inc.status }),
      el('td', {}, trackingView(inc.tracking)),
      el('td', {}, taintSummary(inc)))))));
}

async function showIncident(id) {
  let inc;
  try { inc = await api.call('GET', '/v1/incidents/' + encodeURIComponent(id)); } catch (e) {
    view.append(el('p', { class: 'error', text: e.message })); return;
  }
  const seedTx = (inc.seeds || []).find((s) => s.tx);
  view.append(el('h2', { text: (inc.title || 'Incident') + ' ' + inc.id }),
    el('p', {}, trackingView(inc.tracking)),
    taintSummary(inc),
    el('h3', { text: 'Seeds' }),
    el('ul', {}, (inc.seeds || []).map((s) => el('li', { text: s.tx ? 'tx ' + s.tx : 'address ' + s.address + ' from block ' + s.from_block }))),
    el('h3', { text: 'Holders' }),
    el('table', {}, el('tbody', {}, ((inc.summary && inc.summary.holders) || []).map((h) => el('tr', {},
      el('td', { text: h.chain }), el('td', { text: h.address }), el('td', { class: 'num', text: amount(h.tainted, assetOfKey(h.chain, h.asset)) }), el('td', { text: 'hop ' + h.hops }))))),
    el('p', {},
      el('a', { class: 'button', href: '#/alerts', onclick: () => feed.setFilter(Object.assign({}, feed.filter, { incident: inc.id })), text: 'Its alerts' }), ' ',
      seedTx ? el('a', { class: 'button', id: 'incident-graph', href: '#/trace?chain=' + inc.chain + '&tx=' + encodeURIComponent(seedTx.tx), text: 'Trace graph' }) : null));
}

// ---- trace graph ----

function showTrace(q) {
  const chain = q.get('chain') || 'ethereum';
  const tx = q.get('tx') || '';
  const hops = q.get('hops') || '';
  const form = el('form', { id: 'trace-form', class: 'filters', onsubmit: (ev) => {
    ev.preventDefault();
    const d = new FormData(form);
    const p = new URLSearchParams({ chain: d.get('chain'), tx: (d.get('tx') || '').trim() });
    if (d.get('hops')) p.set('hops', d.get('hops'));
    location.hash = '#/trace?' + p.toString();
  } },
  el('select', { name: 'chain' }, CHAINS.map((c) => option(c, c, c === chain))),
  el('input', { name: 'tx', id: 'trace-tx', size: 70, placeholder: 'transaction hash', value: tx, required: true }),
  el('input', { name: 'hops', type: 'number', min: 1, max: 64, placeholder: 'hops', value: hops }),
  el('button', { type: 'submit', text: 'Trace' }));
  const status = el('p', { class: 'muted', id: 'trace-status' });
  const box = el('div', { id: 'graph', class: 'graph' });
  const png = el('button', { type: 'button', id: 'export-png', disabled: true, text: 'Export PNG', onclick: () => cy && download(cy.png({ full: true, bg: '#ffffff', output: 'blob' }), 'trace-' + short(tx).replace('…', '-') + '.png') });
  const svgB = el('button', { type: 'button', id: 'export-svg', disabled: true, text: 'Export SVG', onclick: () => cy && download(new Blob([svg(cy)], { type: 'image/svg+xml' }), 'trace-' + short(tx).replace('…', '-') + '.svg') });
  const legend = el('p', { class: 'legend' },
    el('span', { class: 'key seed', text: 'theft' }), el('span', { class: 'key exchange', text: 'exchange' }),
    el('span', { class: 'key mixer', text: 'mixer' }), el('span', { class: 'key bridge', text: 'bridge' }),
    el('span', { class: 'key sanctioned', text: 'sanctioned' }), el('span', { class: 'key crosschain', text: 'cross-chain hop (dashed)' }));
  const details = el('div', { id: 'graph-details', class: 'muted' });
  view.append(el('h2', { text: 'Trace graph' }), form, el('p', {}, png, ' ', svgB), legend, status, box, details);
  if (!tx) { status.textContent = 'Name a transaction to trace its stolen funds forward.'; return; }
  status.textContent = 'tracing ' + tx + '…';
  const p = new URLSearchParams();
  if (hops) p.set('hops', hops);
  api.call('GET', '/v1/trace/' + encodeURIComponent(chain) + '/' + encodeURIComponent(tx) + (p.toString() ? '?' + p : '')).then((g) => {
    if (!view.contains(box)) return;
    cy = draw(box, g);
    png.disabled = svgB.disabled = false;
    const stolen = (g.stolen || []).map((s) => s.formatted || amount(s.amount, s.asset)).join(', ');
    status.textContent = `${(g.nodes || []).length} addresses, ${(g.edges || []).length} transfers` + (stolen ? `, ${stolen} stolen` : '') + ((g.findings || []).length ? `, ${g.findings.length} findings` : '');
    status.dataset.ready = 'true';
    cy.on('tap', 'node, edge', (ev) => {
      const d = ev.target.data();
      details.textContent = ev.target.isNode() ? `${d.chain} ${d.address}${d.name ? ' — ' + d.name : ''}${d.held ? ' — holds ' + d.held : ''}` : `${d.chain} tx ${d.tx} (block ${d.block}): ${d.formatted}, hop ${d.hop}`;
    });
  }).catch((e) => {
    status.textContent = (e.status === 403 ? 'This key may not trace: ' : 'Trace failed: ') + e.message;
    status.className = 'error';
  });
}

// ---- screening ----

function exposureTable(items, chain) {
  if (!items || !items.length) return el('p', { class: 'muted', text: 'none' });
  return el('table', { class: 'exposure' },
    el('thead', {}, el('tr', {}, ['category', 'label', 'share', 'amount', 'hops', 'path'].map((h) => el('th', { text: h })))),
    el('tbody', {}, items.map((x) => el('tr', { dataset: { category: x.category } },
      el('td', { text: x.category }), el('td', { text: x.label || '' }), el('td', { text: pct(x.share) }),
      el('td', { class: 'num', text: x.amount ? amount(x.amount, assetOfKey(chain, x.asset)) : '' }),
      el('td', { text: String(x.hops ?? '') }),
      el('td', { class: 'muted', text: (x.path || []).map((h) => short(h.from) + ' → ' + short(h.to) + (h.amount ? ' ' + amount(h.amount, assetOfKey(h.chain || chain, h.asset)) : '')).join(', ') })))));
}

function screenResult(r, chain) {
  return el('section', { class: 'panel screen-result', dataset: { address: r.address, risk: r.risk } },
    el('h3', {}, el('span', { class: 'badge risk-' + r.risk, text: r.risk }), ' ', r.address),
    el('h4', { text: 'Direct exposure' }), exposureTable(r.direct, r.chain || chain),
    el('h4', { text: 'Indirect exposure' }), exposureTable(r.indirect, r.chain || chain));
}

function showScreen(q) {
  const chain = q.get('chain') || 'ethereum';
  const out = el('div', { id: 'screen-results' });
  const msg = el('p', { class: 'muted', id: 'screen-msg' });
  const form = el('form', { id: 'screen-form', class: 'filters', onsubmit: async (ev) => {
    ev.preventDefault();
    const d = new FormData(form);
    const addrs = String(d.get('addresses') || '').split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
    clear(out);
    if (!addrs.length) { msg.textContent = 'Name one address or more.'; return; }
    msg.textContent = 'screening ' + addrs.length + ' address' + (addrs.length > 1 ? 'es' : '') + '…';
    try {
      const results = addrs.length === 1
        ? [await api.call('GET', '/v1/screen/' + encodeURIComponent(d.get('chain')) + '/' + encodeURIComponent(addrs[0]))]
        : (await api.call('POST', '/v1/screen', { chain: d.get('chain'), addresses: addrs })).results;
      out.append(...results.map((r) => screenResult(r, d.get('chain'))));
      msg.textContent = results.length + ' screened';
    } catch (e) { msg.textContent = 'Screening failed: ' + e.message; msg.className = 'error'; }
  } },
  el('select', { name: 'chain' }, CHAINS.map((c) => option(c, c, c === chain))),
  el('textarea', { name: 'addresses', id: 'screen-addresses', rows: 3, cols: 60, placeholder: 'addresses, one a line' }),
  el('button', { type: 'submit', text: 'Screen' }));
  view.append(el('h2', { text: 'Screening' }), el('p', { class: 'muted', text: 'Is this address exposed to DPRK-attributed, sanctioned, stolen, mixer or bridge funds?' }), form, msg, out);
}

// ---- start ----

document.getElementById('signin-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const k = document.getElementById('signin-key').value.trim();
  if (k) signIn(k);
});
document.getElementById('signout').addEventListener('click', signOut);
window.addEventListener('hashchange', () => { if (api.key()) route(); });
if (api.key()) enter(); else signOut();
