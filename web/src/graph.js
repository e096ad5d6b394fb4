// The trace graph: a flow graph (GET /v1/trace/{chain}/{tx}, the
// tracer's FlowGraph) drawn with cytoscape and laid out left to right by
// dagre. Addresses are nodes, tainted transfers edges; labelled services
// have their own shapes (mixer: diamond, bridge: hexagon, exchange:
// rectangle, sanctioned: octagon), a hop that changes chain is dashed.
import cytoscape from 'cytoscape';
import dagre from 'cytoscape-dagre';
import { amount, short } from './format.js';

cytoscape.use(dagre);

const KIND_ORDER = ['sanctioned', 'mixer', 'bridge', 'exchange', 'stolen', 'treasury', 'custom'];

function nodeKind(n) {
  const kinds = (n.labels || []).map((l) => l.kind);
  for (const k of KIND_ORDER) if (kinds.includes(k)) return k;
  return '';
}

// elements turns a FlowGraph into cytoscape elements.
export function elements(g) {
  const out = [];
  const id = (chain, addr) => chain + ':' + addr.toLowerCase();
  const seen = new Set();
  const addNode = (chain, address, n) => {
    const nid = id(chain, address);
    if (seen.has(nid)) return nid;
    seen.add(nid);
    const labels = (n && n.labels) || [];
    const kind = n ? nodeKind(n) : '';
    const name = labels.map((l) => l.label).filter(Boolean).join(', ');
    const held = ((n && n.held) || []).map((h) => h.formatted || amount(h.amount, h.asset)).join(', ');
    out.push({
      group: 'nodes',
      data: {
        id: nid, chain, address, kind, name, held,
        label: (name ? name + '\n' : '') + short(address) + (held ? '\nholds ' + held : ''),
      },
      classes: [kind, chain].filter(Boolean).join(' '),
    });
    return nid;
  };
  for (const n of g.nodes || []) addNode(n.chain || g.chain, n.address, n);
  const seeds = new Set();
  (g.edges || []).forEach((e, i) => {
    const chain = e.chain || g.chain;
    const s = addNode(chain, e.from, null);
    const t = addNode(chain, e.to, null);
    if (e.hop === 1) seeds.add(s);
    const formatted = e.formatted || amount(e.amount, e.asset);
    out.push({
      group: 'edges',
      data: {
        id: 'e' + i + ':' + e.tx, source: s, target: t, tx: e.tx, chain, hop: e.hop, block: e.block,
        amount: e.amount, formatted, label: formatted + ' · hop ' + e.hop,
      },
      classes: [chain, chain !== g.chain ? 'crosschain' : ''].filter(Boolean).join(' '),
    });
  });
  for (const x of out) if (x.group === 'nodes' && seeds.has(x.data.id)) x.classes += ' seed';
  return out;
}

const STYLE = [
  { selector: 'node', style: {
    'background-color': '#9aa7b8', label: 'data(label)', 'text-wrap': 'wrap', 'font-size': 10,
    'text-valign': 'bottom', 'text-margin-y': 4, width: 26, height: 26, color: '#1d2633',
    'border-width': 2, 'border-color': '#5d6b7e',
  } },
  { selector: 'node.seed', style: { 'background-color': '#d9534f', 'border-color': '#8f2420' } },
  { selector: 'node.exchange', style: { shape: 'round-rectangle', 'background-color': '#3b82c4', 'border-color': '#1d4f80', width: 34 } },
  { selector: 'node.mixer', style: { shape: 'diamond', 'background-color': '#8e44ad', 'border-color': '#5b2370', width: 34, height: 34 } },
  { selector: 'node.bridge', style: { shape: 'hexagon', 'background-color': '#e08e0b', 'border-color': '#8a5605', width: 34, height: 30 } },
  { selector: 'node.sanctioned', style: { shape: 'octagon', 'background-color': '#111', 'border-color': '#d9534f' } },
  { selector: 'node.treasury', style: { shape: 'round-tag', 'background-color': '#2e8b57' } },
  { selector: 'node.bitcoin', style: { 'border-style': 'double', 'border-width': 4 } },
  { selector: 'edge', style: {
    width: 2, 'curve-style': 'bezier', 'target-arrow-shape': 'triangle', label: 'data(label)',
    'font-size': 9, 'text-rotation': 'autorotate', 'text-background-color': '#fff',
    'text-background-opacity': 0.85, 'line-color': '#627084', 'target-arrow-color': '#627084',
  } },
  { selector: 'edge.bitcoin', style: { 'line-color': '#f2a900', 'target-arrow-color': '#f2a900' } },
  { selector: 'edge.crosschain', style: { 'line-style': 'dashed' } },
  { selector: ':selected', style: { 'overlay-color': '#3b82c4', 'overlay-opacity': 0.25 } },
];

// draw renders g into container and returns the cytoscape instance.
export function draw(container, g) {
  return cytoscape({
    container,
    elements: elements(g),
    style: STYLE,
    layout: { name: 'dagre', rankDir: 'LR', nodeSep: 40, rankSep: 120, edgeSep: 10 },
    wheelSensitivity: 0.3,
    minZoom: 0.1,
    maxZoom: 2,
  });
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

// svg writes the graph as it is laid out as a standalone SVG document.
export function svg(cy) {
  const bb = cy.elements().boundingBox({ includeLabels: true });
  const pad = 20;
  const w = Math.ceil(bb.w + 2 * pad), h = Math.ceil(bb.h + 2 * pad);
  const ox = pad - bb.x1, oy = pad - bb.y1;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#627084"/></marker></defs>',
    `<rect width="${w}" height="${h}" fill="#fff"/>`,
  ];
  cy.edges().forEach((e) => {
    const s = e.sourceEndpoint(), t = e.targetEndpoint(), m = e.midpoint();
    const dash = e.hasClass('crosschain') ? ' stroke-dasharray="6 4"' : '';
    const color = e.hasClass('bitcoin') ? '#f2a900' : '#627084';
    parts.push(`<g class="edge" data-tx="${esc(e.data('tx'))}"><line x1="${s.x + ox}" y1="${s.y + oy}" x2="${t.x + ox}" y2="${t.y + oy}" stroke="${color}" stroke-width="2"${dash} marker-end="url(#arrow)"/>` +
      `<text x="${m.x + ox}" y="${m.y + oy - 4}" font-size="9" text-anchor="middle">${esc(e.data('label'))}</text></g>`);
  });
  cy.nodes().forEach((n) => {
    const p = n.position(), r = n.width() / 2;
    const x = p.x + ox, y = p.y + oy;
    const fill = n.style('background-color');
    const kind = n.data('kind');
    let shape;
    if (kind === 'mixer') shape = `<polygon points="${x},${y - r} ${x + r},${y} ${x},${y + r} ${x - r},${y}" fill="${fill}"/>`;
    else if (kind === 'bridge') {
      const pts = [0, 1, 2, 3, 4, 5].map((i) => `${x + r * Math.cos(Math.PI / 3 * i)},${y + r * Math.sin(Math.PI / 3 * i)}`).join(' ');
      shape = `<polygon points="${pts}" fill="${fill}"/>`;
    } else if (kind === 'exchange') shape = `<rect x="${x - r}" y="${y - 13}" width="${2 * r}" height="26" rx="4" fill="${fill}"/>`;
    else shape = `<circle cx="${x}" cy="${y}" r="${r}" fill="${fill}"/>`;
    const lines = String(n.data('label')).split('\n')
      .map((l, i) => `<text x="${x}" y="${y + r + 12 + 11 * i}" font-size="10" text-anchor="middle">${esc(l)}</text>`).join('');
    parts.push(`<g class="node ${esc(kind)}" data-address="${esc(n.data('address'))}">${shape}${lines}</g>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

// download saves blob as name.
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
