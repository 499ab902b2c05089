// explore.js: spending and permit decisions, every number proven.
//
// Loading reads every entry bundle of the log, proves each entry against the
// verified checkpoint (tiles.js: leaf hashes recomputed, tiles hashed up to
// the signed root), optionally checks every office signature, applies the
// corrections (corrections.js: the same rule as the verify screen) and only
// then adds up.  Totals are BigInt sums of minor units per currency, shown as
// exact decimals; the charts draw the same totals and are decoration: each
// has a table beside it that says the same thing.

import uPlot from '../lib/uPlot.esm.js';
import { hex } from './bytes.js';
import { resolve, statusWords } from './corrections.js';
import { keyLabel } from './grants.js';
import { LogClient } from './log.js';
import { compareCorrectionsIndex, compareOfficeKeyList, correctionsIn, judgeAll, readAll } from './logread.js';
import { classify, decimal, decisionWord, exponent, money, partyName,
  title } from './record.js';
import { TileVerifier } from './tiles.js';
import { openWithPolicy, registrarTrust } from './trust.js';

const $ = (id) => document.getElementById(id);
const CHART_BARS = 24;
// Axis labels only ("1.2M"); tables carry the exact amounts.
const COMPACT = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });

let state = null;	// { key, ctx, items, ... } of the loaded log
let bound = false;
const charts = new Map();

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of kids) if (c !== null && c !== undefined)
    e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return e;
}

function link(ctx, index, leafHex) {
  const p = new URLSearchParams();
  if (ctx.log && ctx.log !== ctx.configLog) p.set('log', ctx.log);
  p.set('index', String(index));
  p.set('hash', leafHex);
  return '#/verify?' + p.toString();
}

function fmtInt(n) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

// Load and prove the whole log, judge every entry by the grants rule and
// compare the log's own lists with its entries.  Returns the loaded state.
async function load(ctx, checkSigs, progress) {
  const client = new LogClient(ctx.log);
  const cur = await openWithPolicy(ctx, await client.checkpoint());
  if (cur.witness.state === 'fail') throw new Error('the checkpoint is not accepted: ' + cur.witness.words);
  await registrarTrust(ctx, client);
  if (ctx.registrarProblem) throw new Error(ctx.registrarProblem);
  const ck = cur.ckpt;
  const tv = new TileVerifier(client, ck);
  const t0 = performance.now();
  const { items, bad, sigs } = await readAll(tv, { sigOrigin: checkSigs ? ck.origin : null,
    progress: (done, total) => progress(done, total, tv.hashes, client.bytesRead) });
  const ms = performance.now() - t0;

  // Who may append: every entry judged in index order; an entry the rule
  // refuses is left out like any other that failed.
  const { keys, violations, okeyIndexes } = await judgeAll(items, { logKey: ctx.logKey,
    registrarKey: ctx.registrarKey, origin: ck.origin });
  for (const [i, why] of violations) {
    if (items[i]) bad.push({ index: i, why: 'no grant: ' + why });
    items[i] = null;
  }
  bad.sort((x, y) => x.index - y.index);
  // The log's own lists against the entries.
  const corrIndex = await compareCorrectionsIndex(client, ck.size, correctionsIn(items.filter((it) => it)));
  const okeyList = await compareOfficeKeyList(client, ck.size, okeyIndexes);
  const msAll = performance.now() - t0;

  // Corrections: group by target, resolve each target with the same rule
  // as the verify screen.
  const byTarget = new Map();
  for (const it of items) {
    if (!it || it.record.type !== 'correction') continue;
    const t = Number(it.record.target_index);
    if (!byTarget.has(t)) byTarget.set(t, []);
    byTarget.get(t).push({ index: it.index, entry: it.entry });
  }
  let voided = 0, amended = 0;
  for (const it of items) {
    if (!it) continue;
    const c = byTarget.get(it.index);
    it.res = c ? resolve(it.index, it.entry, it.leaf, c) : { status: 'current', effective: it.record };
    if (it.res.status === 'voided') voided++;
    if (it.res.status === 'amended') amended++;
  }
  const bench = { entries: ck.size, ms, msAll, hashes: tv.hashes, sigs, bytes: client.bytesRead,
    workers: tv.workers || 0 };
  window.pubtrailBench = bench;
  return { ck, cur, items, bad, voided, amended, sigs, checkSigs, bench, ctx, keys, corrIndex, okeyList };
}

// The payments and permit decisions of the selection, corrections applied.
function select(st, f) {
  const pay = [], permits = [];
  for (const it of st.items) {
    if (!it || it.res.status === 'voided') continue;
    const r = it.res.effective;
    if (!r) continue;
    const date = r.type === 'payment' ? r.date : r.type === 'permit_decision' ? r.decision_date : null;
    if (date === null) continue;
    if (f.from && date < f.from) continue;
    if (f.to && date > f.to) continue;
    if (r.type === 'payment') {
      const c = classify(r);
      if (f.year && c.fiscalYear !== f.year) continue;
      if (f.currency && r.currency !== f.currency) continue;
      pay.push({ it, r, c });
    } else {
      if (f.year && Number(date.slice(0, 4)) !== f.year) continue;
      permits.push({ it, r });
    }
  }
  return { pay, permits };
}

function totals(pay, key) {
  const m = new Map();
  for (const p of pay) {
    const k = p.c[key];
    const g = m.get(k) || { key: k, count: 0, total: 0n, items: [] };
    g.count++;
    g.total += BigInt(p.r.amount_minor);
    g.items.push(p);
    m.set(k, g);
  }
  const rows = [...m.values()];
  if (key === 'month') rows.sort((a, b) => (a.key < b.key ? -1 : 1));
  else rows.sort((a, b) => (a.total === b.total ? (a.key < b.key ? -1 : 1) : a.total > b.total ? -1 : 1));
  return rows;
}

function drawChart(box, name, labels, values, onPick) {
  const old = charts.get(name);
  if (old) old.destroy();
  box.replaceChildren();
  if (labels.length === 0) return;
  const width = Math.max(280, box.clientWidth || 600);
  const xs = labels.map((_, i) => i);
  const opts = {
    width,
    height: 260,
    legend: { show: false },
    cursor: { drag: { x: false, y: false }, points: { show: false } },
    scales: { x: { time: false, range: [-0.6, labels.length - 0.4] },
      y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.08 : 1] } },
    axes: [
      { values: (u, splits) => splits.map((i) => (Number.isInteger(i) && labels[i] !== undefined ?
        String(labels[i]).slice(0, 12) : '')), rotate: labels.length > 6 ? -45 : 0,
        size: labels.length > 6 ? 70 : 40, gap: 4, incrs: [1] },
      { size: 64, values: (u, splits) => splits.map((v) => COMPACT.format(v)) },
    ],
    series: [{}, { label: name, fill: '#0b4f8acc', stroke: '#0b4f8a', width: 1,
      paths: uPlot.paths.bars({ size: [0.7, 60] }), points: { show: false } }],
  };
  const u = new uPlot(opts, [xs, values], box);
  u.over.addEventListener('click', () => {
    const i = u.cursor.idx;
    if (i !== null && i !== undefined && i >= 0 && i < labels.length) onPick(i);
  });
  charts.set(name, u);
}

// Approximate major units for drawing only (tables show exact decimals).
function chartValue(total, currency) {
  return Number(total) / Math.pow(10, exponent(currency));
}

function renderGroup(st, view, rows, currency) {
  const sec = document.querySelector('.view[data-view="' + view + '"]');
  const wrap = sec.querySelector('.tablewrap');
  const head = { month: 'Month', budgetLine: 'Budget line', department: 'Department', payee: 'Payee' }[view];
  const open = (g) => openEntries(st, head + ': ' + g.key, g.items);
  const tbody = el('tbody', {}, ...rows.map((g) => el('tr', { 'data-key': g.key,
    'data-total-minor': g.total.toString(), 'data-count': String(g.count) },
  el('th', { scope: 'row' }, el('button', { class: 'link', type: 'button', text: g.key,
    'aria-label': 'Show the ' + g.count + ' entries of ' + g.key, onclick: () => open(g) })),
  el('td', { class: 'num', text: fmtInt(g.count) }),
  el('td', { class: 'num', text: decimal(g.total, currency) }))));
  const sum = rows.reduce((a, g) => a + g.total, 0n);
  const cnt = rows.reduce((a, g) => a + g.count, 0);
  wrap.replaceChildren(el('table', { 'data-group': view },
    el('caption', { class: 'hint', text: head + ' totals in ' + currency + ', corrections applied' }),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: head }),
      el('th', { scope: 'col', class: 'num', text: 'Payments' }),
      el('th', { scope: 'col', class: 'num', text: 'Total (' + currency + ')' }))),
    tbody,
    el('tfoot', {}, el('tr', {}, el('th', { scope: 'row', text: 'All' }),
      el('td', { class: 'num', text: fmtInt(cnt) }),
      el('td', { class: 'num', text: decimal(sum, currency) })))));
  const shown = view === 'month' ? rows : rows.slice(0, CHART_BARS);
  drawChart(sec.querySelector('.chart'), view, shown.map((g) => g.key),
    shown.map((g) => chartValue(g.total, currency)), (i) => open(shown[i]));
}

function openEntries(st, what, items) {
  const box = $('x-entries');
  box.hidden = false;
  $('x-entries-title').textContent = what + ' (' + items.length + ' entries)';
  const rows = items.slice().sort((a, b) => a.it.index - b.it.index).map(({ it, r }) =>
    el('tr', { 'data-index': String(it.index) },
      el('td', { class: 'num' }, el('a', { href: link(st.ctx, it.index, hex(it.leaf)),
        text: '#' + it.index, 'aria-label': 'Check entry ' + it.index + ' with its proof' })),
      el('td', { text: r.date || r.decision_date || '' }),
      el('td', { text: r.type === 'payment' ? partyName(r.payee) : r.permit_num }),
      el('td', { text: r.description }),
      el('td', { class: 'num', text: r.type === 'payment' ? money(r.amount_minor, r.currency) : decisionWord(r.decision) }),
      el('td', { text: statusWords(it.res) })));
  box.querySelector('.tablewrap').replaceChildren(el('table', {},
    el('thead', {}, el('tr', {}, ...['Entry', 'Date', 'Payee / permit', 'What', 'Amount / decision', 'Status']
      .map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, ...rows)));
  box.focus();
}

function renderPermits(st, permits) {
  const months = new Map();
  const types = new Map();
  const decisions = new Set();
  for (const p of permits) {
    const m = p.r.decision_date.slice(0, 7);
    decisions.add(p.r.decision);
    if (!months.has(m)) months.set(m, new Map());
    const mm = months.get(m);
    mm.set(p.r.decision, (mm.get(p.r.decision) || 0) + 1);
    if (!types.has(p.r.permit_type)) types.set(p.r.permit_type, new Map());
    const tt = types.get(p.r.permit_type);
    tt.set(p.r.decision, (tt.get(p.r.decision) || 0) + 1);
  }
  const ds = [...decisions].sort();
  const table = (name, map, label, keys) => el('table', { 'data-group': name },
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: label }),
      ...ds.map((d) => el('th', { scope: 'col', class: 'num', text: decisionWord(d) })),
      el('th', { scope: 'col', class: 'num', text: 'All' }))),
    el('tbody', {}, ...keys.map((k) => {
      const row = map.get(k);
      let all = 0;
      for (const v of row.values()) all += v;
      return el('tr', { 'data-key': k },
        el('th', { scope: 'row' }, el('button', { class: 'link', type: 'button', text: k,
          onclick: () => openEntries(st, label + ': ' + k, permits.filter((p) =>
            (name === 'permit-month' ? p.r.decision_date.slice(0, 7) : p.r.permit_type) === k)) })),
        ...ds.map((d) => el('td', { class: 'num', 'data-decision': d, text: String(row.get(d) || 0) })),
        el('td', { class: 'num', text: String(all) }));
    })));
  const mkeys = [...months.keys()].sort();
  $('permit-table').replaceChildren(permits.length ? table('permit-month', months, 'Month', mkeys) :
    el('p', { text: 'No permit decisions in this selection.' }));
  $('permit-types').replaceChildren(permits.length ? table('permit-type', types, 'Permit type',
    [...types.keys()].sort()) : el('p', { text: '' }));
  drawChart($('permit-chart'), 'permits', mkeys, mkeys.map((k) => {
    let all = 0;
    for (const v of months.get(k).values()) all += v;
    return all;
  }), (i) => openEntries(st, 'Month: ' + mkeys[i], permits.filter((p) => p.r.decision_date.slice(0, 7) === mkeys[i])));
  const search = $('permit-search');
  const draw = () => {
    const q = search.value.trim().toLowerCase();
    const hits = permits.filter(({ r }) => !q || [r.permit_num, r.permit_type, r.decision, r.description,
      r.address ? [r.address.line1, r.address.city, r.address.zip].join(' ') : '']
      .join(' ').toLowerCase().includes(q));
    const shown = hits.slice(0, 200);
    $('permit-found').replaceChildren(el('p', { class: 'hint', role: 'status',
      text: hits.length + ' decision(s) match' + (hits.length > shown.length ? '; the first 200 are listed' : '') }),
    el('table', { 'data-group': 'permit-found' },
      el('thead', {}, el('tr', {}, ...['Entry', 'Permit', 'Type', 'Decision', 'Date', 'Address', 'Status']
        .map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', {}, ...shown.map(({ it, r }) => el('tr', { 'data-index': String(it.index) },
        el('td', {}, el('a', { href: link(st.ctx, it.index, hex(it.leaf)), text: '#' + it.index })),
        el('td', { text: r.permit_num }), el('td', { text: r.permit_type }),
        el('td', { text: decisionWord(r.decision) }), el('td', { text: r.decision_date }),
        el('td', { text: r.address ? [r.address.line1, r.address.city].join(', ') : '' }),
        el('td', { text: statusWords(it.res) }))))));
  };
  search.oninput = draw;
  draw();
}

function filters() {
  const y = $('x-year').value;
  return { year: y ? Number(y) : null, from: $('x-from').value || null, to: $('x-to').value || null,
    currency: $('x-currency').value || null };
}

function render() {
  if (!state) return;
  const f = filters();
  const { pay, permits } = select(state, f);
  const cur = f.currency || '';
  for (const v of ['month', 'budgetLine', 'department', 'payee'])
    renderGroup(state, v, totals(pay, v), cur);
  renderPermits(state, permits);
  const sum = pay.reduce((a, p) => a + BigInt(p.r.amount_minor), 0n);
  const s = $('x-summary');
  s.hidden = false;
  const bad = state.bad.length;
  const lists = [state.corrIndex, state.okeyList];
  const listsFail = lists.some((l) => l.state === 'fail');
  s.className = 'banner ' + (bad || listsFail ? 'fail' : state.cur.witness.state === 'ok' ? 'ok' : 'warn');
  s.dataset.entries = String(state.ck.size);
  s.dataset.bad = String(bad);
  s.dataset.lists = listsFail ? 'fail' : lists.every((l) => l.state === 'ok') ? 'ok' : 'none';
  const reg = state.keys.registrar();
  const grants = state.keys.g.keys;
  s.replaceChildren((bad ? '✗ ' + bad + ' entries FAILED their checks and are left out. ' : '✓ ') +
    (listsFail ? '✗ The log\'s own lists do not match its entries. ' : '') +
    'All ' + fmtInt(state.ck.size) + ' entries proven against the checkpoint signed by ' + state.ck.origin +
    (state.checkSigs ? ', every office signature checked' : '') + ', every signer judged by the log\'s grants. ' +
    'Selection: ' + fmtInt(pay.length) +
    ' payments, ' + (cur ? money(sum, cur) : '') + '; ' + fmtInt(permits.length) + ' permit decisions. ' +
    'Corrections applied: ' + state.voided + ' voided, ' + state.amended + ' amended.',
  el('small', { text: state.cur.witness.words + ' Office keys: ' + grants.length + ' granted, ' +
    grants.filter((k) => k.revokedAt !== Number.MAX_SAFE_INTEGER).length + ' revoked, by the registrar ' +
    (reg ? keyLabel(reg.key) : '(none: this log has no office_key entries)') + '. ' +
    state.okeyList.words + ' ' + state.corrIndex.words + (bad ? ' Failed: ' + state.bad.slice(0, 5)
    .map((b) => '#' + b.index + ' (' + b.why + ')').join(', ') : '') }));
  $('x-views').hidden = false;
  $('x-views').dataset.rendered = String(Date.now());
}

function fillSelectors(st, params) {
  const years = new Set(), currencies = new Map();
  for (const it of st.items) {
    if (!it || !it.res.effective || it.res.status === 'voided') continue;
    const r = it.res.effective;
    if (r.type === 'payment') {
      years.add(classify(r).fiscalYear);
      currencies.set(r.currency, (currencies.get(r.currency) || 0) + 1);
    } else if (r.type === 'permit_decision') {
      years.add(Number(r.decision_date.slice(0, 4)));
    }
  }
  const ys = $('x-year');
  const keepY = params.get('year') || ys.value;
  ys.replaceChildren(el('option', { value: '', text: 'all years' }),
    ...[...years].sort().map((y) => el('option', { value: String(y), text: String(y) })));
  if ([...years].map(String).includes(keepY)) ys.value = keepY;
  const cs = $('x-currency');
  const list = [...currencies.entries()].sort((a, b) => b[1] - a[1]).map((c) => c[0]);
  const keepC = params.get('currency') || cs.value;
  cs.replaceChildren(...list.map((c) => el('option', { value: c, text: c })));
  if (list.includes(keepC)) cs.value = keepC;
}

async function go(ctx, params) {
  const bar = $('x-bar'), status = $('x-status');
  $('x-progress').hidden = false;
  $('x-summary').hidden = true;
  $('x-go').disabled = true;
  const sigs = $('x-sigs').checked;
  const t0 = performance.now();
  try {
    if (!ctx.logKey) throw new Error(ctx.problems.join('; '));
    status.textContent = 'Fetching and checking the signed checkpoint…';
    let shown = 0;
    state = await load(ctx, sigs, (done, total, hashes, bytes) => {
      // A few times a second is enough for people (and keeps the page's
      // thread for the work).
      const now = performance.now();
      if (done < total && now - shown < 200) return;
      shown = now;
      bar.max = total;
      bar.value = done;
      const s = (performance.now() - t0) / 1000;
      status.textContent = 'Proven ' + fmtInt(done) + ' of ' + fmtInt(total) + ' entries (' +
        fmtInt(hashes) + ' SHA-256 hashes, ' + (bytes / 1048576).toFixed(1) + ' MiB, ' +
        fmtInt(Math.round(done / Math.max(s, 0.001))) + ' entries/s)…';
    });
    state.key = ctx.logURL;
    status.textContent = 'Proven all ' + fmtInt(state.ck.size) + ' entries in ' +
      (state.bench.ms / 1000).toFixed(1) + ' s.';
    status.dataset.done = '1';
    fillSelectors(state, params);
    render();
  } catch (e) {
    status.textContent = 'Could not verify the log: ' + e.message;
    const s = $('x-summary');
    s.hidden = false;
    s.className = 'banner fail';
    s.dataset.bad = 'all';
    s.textContent = '✗ Nothing is shown: ' + e.message;
  } finally {
    $('x-go').disabled = false;
  }
}

export function showExplorer(ctx, params) {
  if (params.get('from')) $('x-from').value = params.get('from');
  if (params.get('to')) $('x-to').value = params.get('to');
  if (params.get('sigs') === '0') $('x-sigs').checked = false;
  if (!bound) {
    bound = true;
    $('explore-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      go(ctx, params);
    });
    for (const id of ['x-year', 'x-from', 'x-to', 'x-currency'])
      $(id).addEventListener('change', () => render());
  }
  if (params.get('auto') === '1' && (!state || state.key !== ctx.logURL)) go(ctx, params);
}
