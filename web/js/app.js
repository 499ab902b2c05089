// app.js: the page's screens (verify, explore), routing and rendering.
// Everything from the log is put into the page as text (textContent), never
// as markup.

import { hex } from './bytes.js';
import { haveWebCrypto } from './crypto.js';
import { LogClient } from './log.js';
import { fields, title } from './record.js';
import { TileVerifier } from './tiles.js';
import { loadConfig, openWithPolicy, registrarWords, trustContext } from './trust.js';
import { verifyRecord } from './verify.js';
import { showExplorer } from './explore.js';

const $ = (id) => document.getElementById(id);

export function el(tag, attrs, ...kids) {
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

const STATE_WORDS = { ok: 'Passed', fail: 'FAILED', warn: 'Note', info: 'Not available',
  skip: 'Not checked', running: 'Checking…' };
const STATE_MARK = { ok: '✓', fail: '✗', warn: '!', info: 'i', skip: '–', running: '…' };

let loaded = null;	// config.json, once
let busy = false;

function routeParams() {
  const h = location.hash.replace(/^#\/?/, '');
  const q = h.indexOf('?');
  const screen = (q < 0 ? h : h.slice(0, q)) || 'verify';
  const params = new URLSearchParams(q < 0 ? '' : h.slice(q + 1));
  return { screen, params };
}

// The link to check entry index (hash: its leaf hash, hex).
export function verifyLink(ctx, index, leafHex) {
  const p = new URLSearchParams();
  if (ctx.log && ctx.log !== ctx.configLog) p.set('log', ctx.log);
  p.set('index', String(index));
  p.set('hash', leafHex);
  return location.origin + location.pathname + '#/verify?' + p.toString();
}

function renderSteps(steps) {
  const ol = $('steps');
  ol.replaceChildren(...steps.map((s) => el('li', { 'data-step': s.id, 'data-state': s.state },
    el('span', { class: 'st', text: STATE_MARK[s.state] + ' ' + STATE_WORDS[s.state] + ':' }),
    el('strong', { text: s.title }),
    s.detail ? el('p', { text: s.detail }) : null)));
}

function renderFields(dl, rec) {
  const rows = [];
  for (const [k, v] of fields(rec)) rows.push(el('dt', { text: k }), el('dd', { text: v }));
  dl.replaceChildren(...rows);
}

function verdict(res) {
  const v = $('verdict');
  const first = res.steps.find((s) => s.state === 'fail');
  v.dataset.status = res.status || 'running';
  if (res.status === null) {
    v.className = 'banner running';
    v.textContent = 'Checking…';
  } else if (!res.ok) {
    v.className = 'banner fail';
    v.replaceChildren('✗ NOT VERIFIED: ' + (first ? first.title.toLowerCase() + ' — failed.' : 'a check failed.'),
      el('small', { text: 'Do not rely on this record. ' + (first ? first.detail : '') }));
  } else {
    const r = res.entry ? res.entry.record : null;
    const st = res.status;
    const cls = st === 'current' ? 'ok' : 'warn';
    v.className = 'banner ' + cls;
    const head = st === 'current' ? '✓ Verified and current' :
      st === 'verified offline' ? '✓ Verified offline (corrections not checked)' :
        '! Verified, but ' + st;
    v.replaceChildren(head + (r ? ': ' + title(r) : ''),
      el('small', { text: 'Entry #' + res.index + ' of ' + res.log + (res.signedBy ? ', ' + res.signedBy :
        res.office ? ', signed by ' + res.office.name + '+' + hex(res.office.id) : '') + '.' +
        (res.complete ? ' The whole log was read: nothing was left out.' : '') }));
  }
}

async function runVerify(input, linkLog, linkKey) {
  if (busy) return;
  busy = true;
  $('result').hidden = false;
  $('permit-results').hidden = true;
  $('effective').hidden = true;
  $('record-fields').replaceChildren();
  $('entry-hash').textContent = '';
  $('share-link').textContent = '';
  $('complete-box').hidden = true;
  verdict({ status: null, steps: [] });
  // On a phone the finders fill the screen: bring the answer into view.
  $('verdict').focus();
  try {
    const ctx = await trustContext(loaded, linkLog, linkKey);
    showTrust(ctx);
    const res = await verifyRecord(ctx, input, renderSteps);
    renderSteps(res.steps);
    showTrust(ctx);
    showResult(ctx, res);
  } catch (e) {
    verdict({ status: 'failed', ok: false, steps: [{ title: 'The check', state: 'fail', detail: e.message }] });
  } finally {
    busy = false;
  }
}

// The record, its status and the verdict; the button that reads the whole
// log when only the log's lists were used.
function showResult(ctx, res) {
  if (res.entry) {
    renderFields($('record-fields'), res.entry.record);
    $('entry-hash').textContent = res.entryHash;
    const link = verifyLink(ctx, res.index, res.entryHash);
    $('share-link').href = link;
    $('share-link').textContent = link;
    if (res.corrections && res.corrections.status !== 'current') {
      $('effective').hidden = false;
      if (res.corrections.effective) renderFields($('effective-fields'), res.corrections.effective);
      else $('effective-fields').replaceChildren(el('dt', { text: 'Status' }),
        el('dd', { text: 'voided: this record no longer counts' }));
    } else {
      $('effective').hidden = true;
    }
  }
  verdict(res);
  const box = $('complete-box');
  box.hidden = !res.checkAll;
  if (res.checkAll) {
    const b = $('check-all');
    b.disabled = false;
    b.textContent = 'Check the whole log (reads all ' + (res.checkpoint ? res.checkpoint.size : '') + ' entries)';
    b.onclick = async () => {
      if (busy) return;
      busy = true;
      b.disabled = true;
      verdict({ status: null, steps: [] });
      box.hidden = true;
      try {
        const r2 = await res.checkAll(renderSteps);
        renderSteps(r2.steps);
        showResult(ctx, r2);
      } catch (e) {
        problem('The check of the whole log failed: ' + e.message);
      } finally {
        busy = false;
      }
    };
  }
}

async function findPermit(num) {
  const box = $('permit-results');
  const list = $('permit-list');
  const st = $('permit-status');
  $('result').hidden = true;
  box.hidden = false;
  list.replaceChildren();
  const ctx = await trustContext(loaded, null, null);
  showTrust(ctx);
  try {
    if (!ctx.logKey) throw new Error(ctx.problems.join('; '));
    const client = new LogClient(ctx.log);
    const cur = await openWithPolicy(ctx, await client.checkpoint());
    const tv = new TileVerifier(client, cur.ckpt);
    const n = tv.bundles();
    const found = [];
    for (let b = 0; b < n; b++) {
      st.textContent = 'Reading the log: ' + b + ' of ' + n + ' bundles proven…';
      for (const e of await tv.entries(b, { decode: true })) {
        const d = e.entry;
        if (d && d.record.type === 'permit_decision' && d.record.permit_num === num) found.push({ e, d });
      }
    }
    st.textContent = found.length + ' decision(s) on permit ' + num + ' among ' + cur.ckpt.size +
      ' entries, each proven against the signed checkpoint.';
    list.replaceChildren(...found.map(({ e, d }) => el('li', {},
      el('a', { href: verifyLink(ctx, e.index, hex(e.leaf)), text: '#' + e.index + ': ' + title(d.record) }))));
  } catch (e) {
    st.textContent = 'Could not search: ' + e.message;
  }
}

function showTrust(ctx) {
  const t = $('trust-line');
  if (!ctx.logKey) {
    t.textContent = 'No trusted log key: ' + ctx.problems.join('; ');
    return;
  }
  t.textContent = 'This page trusts the log key ' + ctx.logKey.text + ' (SHA-256 ' + ctx.keyHash + '), ' +
    (ctx.keySource === 'pinned' ? 'pinned by this page\'s host' : ctx.keySource === 'log' ?
      'as announced by the log' : 'from the link') + '. Witness policy: ' +
    (ctx.policy ? ctx.policy.witnesses.map((w) => w.name).join(', ') || 'none listed' : 'none published') +
    '. Registrar: ' + registrarWords(ctx) + '.';
  $('logline').textContent = ctx.logKey.name + ' — ' + (ctx.log || location.origin);
}

function show(screen) {
  for (const s of ['verify', 'explore']) {
    $('screen-' + s).hidden = s !== screen;
    const a = $('nav-' + s);
    if (s === screen) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function route() {
  const { screen, params } = routeParams();
  if (screen === 'explore') {
    show('explore');
    const ctx = await trustContext(loaded, params.get('log'), params.get('key'));
    showTrust(ctx);
    showExplorer(ctx, params);
    return;
  }
  show('verify');
  if (params.has('index')) {
    const i = params.get('index');
    const h = params.get('hash');
    if (!/^(0|[1-9][0-9]{0,15})$/.test(i) || (h !== null && !/^[0-9a-f]{64}$/.test(h))) {
      problem('This link is damaged: it must name an entry number and a 64-digit entry hash.');
      return;
    }
    $('q-index').value = i;
    await runVerify({ kind: 'index', index: Number(i), hash: h }, params.get('log'), params.get('key'));
  } else if (params.has('office') && params.has('id')) {
    $('q-office').value = params.get('office');
    $('q-id').value = params.get('id');
    await runVerify({ kind: 'lookup', office: params.get('office'), id: params.get('id') },
      params.get('log'), params.get('key'));
  }
}

function problem(text) {
  const p = $('page-problem');
  p.hidden = !text;
  p.textContent = text || '';
}

function receiptFile(file) {
  if (!file) return;
  if (file.size > 256 * 1024) {
    problem('That file is too big to be a receipt.');
    return;
  }
  file.arrayBuffer().then((b) => runVerify({ kind: 'receipt', bytes: new Uint8Array(b) }, null, null));
}

async function main() {
  if (!haveWebCrypto()) {
    problem('This browser cannot check signatures here: the page must be opened over HTTPS ' +
      '(or from this computer) in a current browser with WebCrypto.');
    return;
  }
  loaded = await loadConfig();
  const ctx = await trustContext(loaded, null, null);
  showTrust(ctx);
  $('office-list').replaceChildren(...(ctx.offices || []).map((o) => el('option', { value: o.split('+')[0] })));
  $('find-index').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const i = $('q-index').value.trim();
    go('#/verify?index=' + encodeURIComponent(i));
  });
  $('find-lookup').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams({ office: $('q-office').value.trim(), id: $('q-id').value.trim() });
    go('#/verify?' + p.toString());
  });
  $('find-permit').addEventListener('submit', (ev) => {
    ev.preventDefault();
    findPermit($('q-permit').value.trim());
  });
  $('q-receipt').addEventListener('change', (ev) => receiptFile(ev.target.files[0]));
  const drop = $('drop');
  drop.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('dragover'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('dragover'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('dragover');
    receiptFile(ev.dataTransfer.files[0]);
  });
  window.addEventListener('hashchange', () => { problem(''); route(); });
  document.body.dataset.ready = '1';
  await route();
}

// Go to a route; the same route again runs it again.
function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

main().catch((e) => problem('The page failed to start: ' + e.message));
