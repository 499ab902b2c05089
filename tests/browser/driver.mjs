// driver.mjs: drive Debian's Chromium (headless) with puppeteer-core for the
// web tests (tests/integration/test_web.py) and the bench (bench/web.sh).
//
// Reads one JSON command per line on stdin and answers one JSON line on
// stdout, so the Python harness sequences the scenario and makes every
// assertion.  Every wait is for a condition in the page (generous
// time-outs, no sleeps).  Commands:
//
//   {"cmd": "verify", "url": U, "shot": NAME?, "width": W?, "checkAll": B?}
//                      (checkAll: then press "Check the whole log" and
//                      report both states: {..., before})
//   {"cmd": "receipt", "url": U, "file": PATH, "shot": NAME?}
//   {"cmd": "explore", "url": U, "shot": NAME?, "year": Y?, "currency": C?,
//                      "workers": 0 | "broken"?  (bundles hashed in the
//                      page's own thread, or workers that cannot load)}
//   {"cmd": "get", "url": U}                  (fetch status + headers)
//   {"cmd": "render", "url": U, "shot": NAME} (screenshot of any URL)
//   {"cmd": "keys", "url": U}                 (keyboard walk of the page)
//   {"cmd": "mldsa", "url": U, "msg": B64}     (Chromium's WebCrypto makes an
//                      ML-DSA-44 key and signs msg: {pub, sig} base64, for
//                      the tests' ML-DSA-44 witness cosignatures)
//   {"cmd": "quit"}
//
// Environment: PT_WEB_OUT (screenshots), PT_CHROMIUM (default
// /usr/bin/chromium), PT_WEB_MODULES (web/node_modules).
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const modules = process.env.PT_WEB_MODULES || path.join(here, '..', '..', 'web', 'node_modules');
const require = createRequire(path.join(modules, 'noop.js'));
const puppeteer = require('puppeteer-core');

const OUT = process.env.PT_WEB_OUT || tmpdir();
const WAIT = Number(process.env.PT_WEB_WAIT_MS || 240000);
mkdirSync(OUT, { recursive: true });
const profile = mkdtempSync(path.join(tmpdir(), 'pt-chromium-'));

const browser = await puppeteer.launch({
  executablePath: process.env.PT_CHROMIUM || '/usr/bin/chromium',
  headless: false,	// the flags below say --headless themselves
  userDataDir: profile,
  protocolTimeout: WAIT + 60000,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage'],
});
const cleanup = async () => {
  try { await browser.close(); } catch (e) { /* gone */ }
  rmSync(profile, { recursive: true, force: true });
};
process.on('SIGTERM', async () => { await cleanup(); process.exit(1); });

let lastPage = null;

async function newPage(width) {
  const page = await browser.newPage();
  lastPage = page;
  page.setDefaultTimeout(WAIT);
  await page.setViewport({ width: width || 1280, height: 900 });
  page.consoleLog = [];
  page.on('console', (m) => page.consoleLog.push(m.type() + ': ' + m.text()));
  page.on('pageerror', (e) => page.consoleLog.push('pageerror: ' + e.message));
  return page;
}

// A full-page screenshot, or only the top clip pixels.
async function shot(page, name, clip) {
  if (!name) return null;
  const f = path.join(OUT, name + '.png');
  if (clip) {
    const width = page.viewport().width;
    await page.screenshot({ path: f, clip: { x: 0, y: 0, width, height: clip } });
  } else {
    await page.screenshot({ path: f, fullPage: true });
  }
  return f;
}

// What the verify screen shows.
function verifyState() {
  const $ = (id) => document.getElementById(id);
  const v = $('verdict');
  return {
    status: v.dataset.status || null,
    verdict: v.textContent,
    klass: v.className,
    steps: [...document.querySelectorAll('#steps li')].map((li) => ({
      id: li.dataset.step, state: li.dataset.state, text: li.textContent })),
    fields: [...document.querySelectorAll('#record-fields dt')].map((dt) => [dt.textContent,
      dt.nextElementSibling.textContent]),
    effective: $('effective').hidden ? null : [...document.querySelectorAll('#effective-fields dt')]
      .map((dt) => [dt.textContent, dt.nextElementSibling.textContent]),
    link: $('share-link').getAttribute('href'),
    entryHash: $('entry-hash').textContent,
    problem: $('page-problem').hidden ? null : $('page-problem').textContent,
    checkAll: $('complete-box').hidden ? null : $('check-all').textContent,
  };
}

async function waitVerdict(page) {
  await page.waitForFunction(() => {
    const p = document.getElementById('page-problem');
    if (p && !p.hidden) return true;
    const v = document.getElementById('verdict');
    return v && v.dataset.status && v.dataset.status !== 'running';
  }, { polling: 100, timeout: WAIT });
}

function exploreState() {
  const s = document.getElementById('x-summary');
  const tables = {};
  for (const t of document.querySelectorAll('table[data-group]')) {
    tables[t.dataset.group] = [...t.querySelectorAll('tbody tr')].map((tr) => ({
      key: tr.dataset.key, total: tr.dataset.totalMinor, count: tr.dataset.count,
      cells: [...tr.children].map((c) => c.textContent) }));
  }
  return { summary: s.textContent, bad: s.dataset.bad, entries: s.dataset.entries, lists: s.dataset.lists,
    status: document.getElementById('x-status').textContent, tables,
    bench: window.pubtrailBench || null,
    charts: document.querySelectorAll('.chart canvas').length };
}

// Run in the page before its scripts (explore's "workers"): 0 makes the
// page hash in its own thread (window.PT_WORKERS, tiles.js); "broken" gives
// it workers whose module cannot be loaded (as where a policy forbids
// them), so it must notice and fall back.
function noWorkers(w) {
  if (w === 'broken') {
    const W = window.Worker;
    window.Worker = function Worker(url, opts) {
      return new W(new URL('./no-such-worker.js', url), opts);
    };
  } else {
    window.PT_WORKERS = w;
  }
}

async function handle(c) {
  if (c.cmd === 'verify' || c.cmd === 'receipt') {
    const page = await newPage(c.width);
    try {
      await page.goto(c.url, { waitUntil: 'load' });
      await page.waitForFunction(() => document.body.dataset.ready === '1' ||
        !document.getElementById('page-problem').hidden, { polling: 100 });
      if (c.cmd === 'receipt') {
        const input = await page.$('#q-receipt');
        await input.uploadFile(c.file);
      }
      await waitVerdict(page);
      let st = await page.evaluate(verifyState);
      if (c.checkAll) {
        if (st.checkAll === null) throw new Error('no "Check the whole log" button: ' + JSON.stringify(st));
        await page.click('#check-all');
        await page.waitForFunction(() => {
          const v = document.getElementById('verdict');
          return document.getElementById('complete-box').hidden && v.dataset.status &&
            v.dataset.status !== 'running';
        }, { polling: 100, timeout: WAIT });
        const before = st;
        st = await page.evaluate(verifyState);
        st.before = before;
      }
      st.shot = await shot(page, c.shot, c.clip);
      st.console = page.consoleLog;
      return st;
    } finally {
      await page.close();
    }
  }
  if (c.cmd === 'mldsa') {
    const page = await newPage();
    try {
      await page.goto(c.url, { waitUntil: 'load' });
      return await page.evaluate(async (m) => {
        const b64 = (u) => btoa(String.fromCharCode(...new Uint8Array(u)));
        const msg = Uint8Array.from(atob(m), (ch) => ch.charCodeAt(0));
        const kp = await crypto.subtle.generateKey({ name: 'ML-DSA-44' }, true, ['sign', 'verify']);
        const pub = await crypto.subtle.exportKey('raw-public', kp.publicKey);
        const sig = await crypto.subtle.sign({ name: 'ML-DSA-44' }, kp.privateKey, msg);
        return { pub: b64(pub), sig: b64(sig) };
      }, c.msg);
    } finally {
      await page.close();
    }
  }
  if (c.cmd === 'explore') {
    const page = await newPage(c.width);
    try {
      if (c.workers !== undefined) await page.evaluateOnNewDocument(noWorkers, c.workers);
      await page.goto(c.url, { waitUntil: 'load' });
      await page.waitForFunction(() => document.getElementById('x-summary').hidden === false,
        { polling: 200 });
      let st = await page.evaluate(exploreState);
      if (st.bad === '0' && (c.year || c.currency || c.from || c.to)) {
        await page.evaluate((y, cur, from, to) => {
          const set = (id, v) => {
            const e = document.getElementById(id);
            e.value = v;
            e.dispatchEvent(new Event('change'));
          };
          if (y) set('x-year', String(y));
          if (cur) set('x-currency', cur);
          if (from) set('x-from', from);
          if (to) set('x-to', to);
        }, c.year || '', c.currency || '', c.from || '', c.to || '');
        st = await page.evaluate(exploreState);
      }
      if (c.open) {
        await page.click('table[data-group="' + c.open + '"] tbody tr th button');
        await page.waitForFunction(() => !document.getElementById('x-entries').hidden);
        st.opened = await page.evaluate(() => [...document.querySelectorAll('#x-entries tbody tr')]
          .map((tr) => ({ index: tr.dataset.index, link: tr.querySelector('a').getAttribute('href') })));
      }
      st.shot = await shot(page, c.shot, c.clip);
      st.console = page.consoleLog;
      return st;
    } finally {
      await page.close();
    }
  }
  if (c.cmd === 'permit') {
    // The verify screen's search by permit number.
    const page = await newPage(c.width);
    try {
      await page.goto(c.url, { waitUntil: 'load' });
      await page.waitForFunction(() => document.body.dataset.ready === '1', { polling: 100 });
      await page.type('#q-permit', c.permit);
      await page.click('#find-permit button');
      await page.waitForFunction(() => /decision\(s\) on permit|Could not search/
        .test(document.getElementById('permit-status').textContent), { polling: 100 });
      return {
        status: await page.$eval('#permit-status', (e) => e.textContent),
        found: await page.$$eval('#permit-list a', (as) => as.map((a) => ({
          text: a.textContent, link: a.getAttribute('href') }))),
        shot: await shot(page, c.shot, c.clip),
      };
    } finally {
      await page.close();
    }
  }
  if (c.cmd === 'keys') {
    // Tab through the verify screen and report which controls take focus.
    const page = await newPage(c.width);
    try {
      await page.goto(c.url, { waitUntil: 'load' });
      await page.waitForFunction(() => document.body.dataset.ready === '1', { polling: 100 });
      const seen = [];
      for (let i = 0; i < 14; i++) {
        await page.keyboard.press('Tab');
        seen.push(await page.evaluate(() => {
          const a = document.activeElement;
          return a ? (a.id || a.tagName.toLowerCase() + ':' + (a.textContent || '').trim().slice(0, 20)) : null;
        }));
      }
      await page.focus('#q-index');
      await page.keyboard.type(String(c.index || 0));
      await page.keyboard.press('Enter');
      await waitVerdict(page);
      const st = await page.evaluate(verifyState);
      st.focus = seen;
      st.shot = await shot(page, c.shot, c.clip);
      return st;
    } finally {
      await page.close();
    }
  }
  if (c.cmd === 'render') {
    const page = await newPage(c.width || 640);
    try {
      await page.goto(c.url, { waitUntil: 'load' });
      return { shot: await shot(page, c.shot) };
    } finally {
      await page.close();
    }
  }
  if (c.cmd === 'get') {
    const page = await newPage();
    try {
      const r = await page.goto(c.url);
      return { status: r.status(), headers: r.headers() };
    } finally {
      await page.close();
    }
  }
  throw new Error('unknown command ' + c.cmd);
}

// The iterator is taken before anything is awaited: lines already piped
// in (bench/run.sh) are buffered by it, not lost.
const rl = readline.createInterface({ input: process.stdin });
const lines = rl[Symbol.asyncIterator]();
process.stdout.write(JSON.stringify({ ready: true, version: await browser.version() }) + '\n');
for await (const line of lines) {
  if (!line.trim()) continue;
  const c = JSON.parse(line);
  if (c.cmd === 'quit') break;
  let ans;
  try {
    ans = { ok: true, result: await handle(c) };
  } catch (e) {
    ans = { ok: false, error: String(e && e.stack || e) + (lastPage ? '\npage console:\n' +
      lastPage.consoleLog.join('\n') : '') };
  }
  process.stdout.write(JSON.stringify(ans) + '\n');
}
await cleanup();
