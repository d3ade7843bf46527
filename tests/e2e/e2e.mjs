// Web UI end-to-end tests: a real `nexus serve` (serving web/dist) + a seeded testrail-sim,
// driven through headless Debian Chromium with playwright-core. Prints one PASS/FAIL/SKIP line
// per case and `N passed, N failed` as the last line; exit code 1 when anything failed.
import { spawn, execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const SRC = process.env.NEXUS_SOURCE_DIR;
const BUILD = process.env.NEXUS_BUILD_DIR;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const require = createRequire(path.join(SRC, 'web', 'package.json'));
const { chromium } = require('playwright-core');

const SHOTS = path.join(SRC, 'test-artifacts', 'screenshots');
fs.mkdirSync(SHOTS, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-e2e-'));
const dataDir = path.join(tmp, 'data');
fs.mkdirSync(dataDir);

const ADMIN = { email: 'admin@nexus.test', name: 'Ada Admin', password: 'correct horse battery' };
const VIEWER = { email: 'viewer@nexus.test', name: 'Vic Viewer', password: 'viewer password 1' };
const SIM_USER = 'admin@example.com';
const SIM_KEY = 'nexus-sim-demo-api-key-0001';

const procs = [];
function start(bin, args, env = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    const log = fs.createWriteStream(path.join(tmp, path.basename(bin) + '.log'));
    p.stderr.pipe(log);
    const rl = readline.createInterface({ input: p.stdout });
    let first = true;
    rl.on('line', (line) => {
      if (!first) return;
      first = false;
      const m = /(https?:\/\/\S+)/.exec(line);
      m ? resolve(m[1].replace(/\/$/, '')) : reject(new Error(`${bin}: unexpected first line: ${line}`));
    });
    p.on('exit', (code) => first && reject(new Error(`${bin} exited with ${code} before listening (log: ${tmp})`)));
    setTimeout(() => first && reject(new Error(`${bin} did not start in 20s`)), 20000);
  });
}
function cleanup() {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM');
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const nexus = (args, input) =>
  execFileSync(path.join(BUILD, 'nexus'), [...args, '--data-dir', dataDir], { input, encoding: 'utf8' }).trim();

// ---- seed (CLI) ----
nexus(['user', 'add', '--email', ADMIN.email, '--name', ADMIN.name, '--org-admin', '--password-stdin'], ADMIN.password + '\n');
nexus(['user', 'add', '--email', VIEWER.email, '--name', VIEWER.name, '--password-stdin'], VIEWER.password + '\n');
const TOKEN = nexus(['token', 'create', '--email', ADMIN.email, '--name', 'e2e']).split('\n').pop();
const PID = Number(nexus(['project', 'create', '--name', 'Web Shop', '--admin-email', ADMIN.email, '--feature', 'testrail']).split('\n').pop());

const simUrl = await start(path.join(BUILD, 'testrail-sim'), ['--listen', '127.0.0.1:0', '--generate', 'projects=2,suites=3,cases=300']);
const BASE = await start(path.join(BUILD, 'nexus'), [
  'serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--static-dir', path.join(SRC, 'web', 'dist'), '--testrail-allow-private',
]);

async function rest(method, p, body) {
  let r;
  try {
    r = await fetch(`${BASE}/api/v1${p}`, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    const dead = procs.find((x) => x.exitCode !== null || x.signalCode);
    throw new Error(`${method} ${p}: ${e.message}${dead ? ` — ${path.basename(dead.spawnfile)} exited (${dead.exitCode ?? dead.signalCode}); logs in ${tmp}` : ''}`);
  }
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not json */ }
  return { status: r.status, json };
}
async function restOk(method, p, body) {
  const r = await rest(method, p, body);
  if (r.status >= 300) throw new Error(`${method} ${p} → ${r.status} ${JSON.stringify(r.json)}`);
  return r.json;
}

// ---- seed (REST) ----
const users = await restOk('GET', '/users');
const viewerId = users.items.find((u) => u.email === VIEWER.email).id;
await restOk('PUT', `/projects/${PID}/members/${viewerId}`, { role: 'viewer' });
const seededTest = await restOk('POST', `/projects/${PID}/tests`, {
  name: 'Checkout with saved card',
  tags: ['smoke', 'checkout'],
  steps: [
    { goal: 'Open the shop and sign in as a returning customer', expected_results: ['The dashboard shows the customer name'] },
    { goal: 'Add a product to the cart and open checkout', expected_results: ['Cart total matches the product price'] },
    { goal: 'Pay with the saved card', expected_results: ['Order confirmation page is shown', 'Confirmation e-mail is sent'] },
  ],
});
const t0 = Date.parse('2025-03-01T10:00:00Z');
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const seededRun = await restOk('POST', `/projects/${PID}/runs`, {
  test_id: seededTest.id, result: 'Success', bug_label: 'LikelyBug', started_at: iso(t0), finished_at: iso(t0 + 154000), build: '2.4.1',
  summary: 'Checkout completed, but the confirmation e-mail arrived twice.',
  bugs: [{ title: 'Duplicate confirmation e-mail', severity: 'medium', step_id: seededTest.steps[2].id }],
  steps: seededTest.steps.map((s, i) => ({
    step_id: s.id, result: 'Success', bug_label: i === 2 ? 'LikelyBug' : 'NoBug',
    started_at: iso(t0 + i * 50000), finished_at: iso(t0 + i * 50000 + 40000), comment: i === 2 ? 'Two e-mails received' : '',
  })),
});
await restOk('POST', `/projects/${PID}/runs`, {
  test_id: seededTest.id, result: 'Error', bug_label: 'Undecided', started_at: iso(t0 + 3600e3), finished_at: iso(t0 + 3600e3 + 20000), build: '2.4.1',
  summary: 'Browser crashed during setup.',
});
await restOk('POST', `/projects/${PID}/runs`, {
  test_id: seededTest.id, result: 'Success', bug_label: 'NoBug', started_at: iso(t0 + 7200e3), finished_at: iso(t0 + 7200e3 + 98000), build: '2.4.2',
});

// ---- browser ----
// Playwright itself starts Chromium with a new, empty temporary --user-data-dir.
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});

async function newPage() {
  const ctx = await browser.newContext({ viewport: { width: 1360, height: 860 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(10000);
  return page;
}
async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}
async function login(page, who) {
  await page.goto(`${BASE}/#/projects`);
  await page.fill('input[name=email]', who.email);
  await page.fill('input[name=password]', who.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=current-user]');
}
function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
async function expectText(locator, re, what) {
  await locator.first().waitFor();
  const t = await locator.first().innerText();
  assert(re.test(t), `${what}: expected ${re}, got ${JSON.stringify(t)}`);
  return t;
}

class Skip extends Error {}
const results = { passed: 0, failed: 0, skipped: 0 };
const cases = [];
const test = (name, fn) => cases.push({ name, fn });

let adminPage;

test('login: wrong password shows the error, right password signs in', async () => {
  const page = await newPage();
  await page.goto(`${BASE}/`);
  await page.waitForSelector('form[aria-label="Sign in"]');
  await shot(page, '01-login');
  await page.fill('input[name=email]', ADMIN.email);
  await page.fill('input[name=password]', 'not the password');
  await page.click('button[type=submit]');
  const shown = await expectText(page.locator('[data-testid=error]'), /.+/, 'login error');
  const api = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: ADMIN.email, password: 'not the password' }),
  }).then((r) => r.json());
  assert(shown.includes(api.error.message), `login error should be the server's message "${api.error.message}", got "${shown}"`);
  await shot(page, '02-login-error');
  await page.fill('input[name=password]', ADMIN.password);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-testid=project-list]');
  adminPage = page;
});

test('project list shows the project and opens it', async () => {
  const page = adminPage;
  await expectText(page.locator('[data-testid=project-card]'), /Web Shop/, 'project card');
  await shot(page, '03-projects');
  await page.click('[data-testid=project-card]');
  await page.waitForSelector('[data-testid=tests-table]');
  await expectText(page.locator('[data-testid=project-name]'), /Web Shop/, 'sidebar');
  for (const nav of ['nav-tests', 'nav-plans', 'nav-runs', 'nav-configs', 'nav-configs-testrail', 'nav-exports'])
    assert(await page.locator(`[data-testid=${nav}]`).count() === 1, `navigation ${nav} missing for the admin`);
  await shot(page, '04-tests');
});

test('tests: create, edit steps, re-order, save; a concurrent change shows the 409 nicely', async () => {
  const page = adminPage;
  await page.goto(`${BASE}/#/projects/${PID}/tests`);
  await page.click('[data-testid=new-test]');
  await page.waitForSelector('[data-testid=test-editor]');
  await page.fill('[data-testid=test-name]', 'Search finds products');
  await page.fill('[data-testid=test-tags]', 'search, smoke');
  await page.fill('[data-testid=step-goal] >> nth=0', 'Type "lamp" into the search box');
  await page.fill('[data-testid=step-expected] >> nth=0', 'Suggestions appear');
  await page.click('[data-testid=add-step]');
  await page.fill('[data-testid=step-goal] >> nth=1', 'Press Enter');
  await page.fill('[data-testid=step-expected] >> nth=1', 'Result page lists lamps');
  await page.click('[data-testid=add-step]');
  await page.fill('[data-testid=step-goal] >> nth=2', 'Open the first result');
  await page.click('[data-testid=save-test]');
  await page.waitForURL(/#\/projects\/\d+\/tests\/\d+$/);
  const testId = Number(/tests\/(\d+)$/.exec(page.url())[1]);
  let t = await restOk('GET', `/projects/${PID}/tests/${testId}`);
  assert(t.steps.length === 3 && t.name === 'Search finds products' && t.tags.join() === 'search,smoke', `created test: ${JSON.stringify(t)}`);
  const ids = t.steps.map((s) => s.id);
  // Move step 3 up to position 1 (two clicks), remove nothing, save.
  await page.click('[data-testid=step-up] >> nth=2');
  await page.click('[data-testid=step-up] >> nth=1');
  await page.click('[data-testid=save-test]');
  await page.waitForSelector('text=Saved (version');
  t = await restOk('GET', `/projects/${PID}/tests/${testId}`);
  assert(t.steps.map((s) => s.id).join() === [ids[2], ids[0], ids[1]].join(), `re-order kept stable ids: ${t.steps.map((s) => s.id)}`);
  assert(t.steps[0].goal === 'Open the first result', 'first step after re-order');
  await page.click('[data-testid=step] >> nth=0 >> .step-toggle');
  await shot(page, '05-test-editor');
  // Someone else saves meanwhile → our save gets 409 and a friendly banner with a reload action.
  await restOk('PUT', `/projects/${PID}/tests/${testId}`, { name: t.name, tags: t.tags, version: t.version, steps: t.steps });
  await page.fill('[data-testid=test-name]', 'Search finds products (edited)');
  await page.click('[data-testid=save-test]');
  await expectText(page.locator('[data-testid=conflict]'), /changed meanwhile/, 'conflict banner');
  await shot(page, '06-test-conflict');
  await page.click('text=Reload latest');
  await page.waitForSelector('[data-testid=conflict]', { state: 'detached' });
  // The list shows the new test with its step count.
  await page.goto(`${BASE}/#/projects/${PID}/tests`);
  await expectText(page.locator('[data-testid=tests-table]'), /Search finds products/, 'tests list');
});

test('runs: history with result label, detail with step outcomes', async () => {
  const page = adminPage;
  await page.goto(`${BASE}/#/projects/${PID}/runs`);
  await page.waitForSelector('[data-testid=runs-table]');
  assert((await page.locator('[data-testid=run-row]').count()) === 3, 'three runs listed');
  await expectText(page.locator('[data-testid=runs-table]'), /Success \(Likely Bug\)/, 'bug-labelled result');
  await expectText(page.locator('[data-testid=runs-table]'), /Checkout with saved card/, 'test name');
  await expectText(page.locator('[data-testid=runs-table]'), /2m 34s/, 'duration');
  await shot(page, '07-runs');
  await page.goto(`${BASE}/#/projects/${PID}/runs/${seededRun.id}`);
  await page.waitForSelector('[data-testid=run-steps]');
  await expectText(page.locator('[data-testid=run-steps]'), /Pay with the saved card[\s\S]*Likely Bug[\s\S]*Two e-mails received/, 'step outcomes');
  await expectText(page.locator('[data-testid=run-detail]'), /Duplicate confirmation e-mail/, 'bugs');
  await shot(page, '08-run-detail');
});

test('plans & executions and configs pages render', async () => {
  const page = adminPage;
  await restOk('POST', `/projects/${PID}/plans`, { name: 'Nightly smoke', test_ids: [seededTest.id] });
  await page.goto(`${BASE}/#/projects/${PID}/plans`);
  await expectText(page.locator('[data-testid=plans-table]'), /Nightly smoke/, 'plans');
  await shot(page, '09-plans');
  await page.goto(`${BASE}/#/projects/${PID}/configs`);
  await page.waitForSelector('[data-testid=configs-testrail-card]');
  await shot(page, '10-configs');
  await page.goto(`${BASE}/#/projects/${PID}/exports`);
  await page.waitForSelector('h1:has-text("TestRail exports")');
  await shot(page, '11-exports');
});

test('a viewer cannot see or reach Configs → TestRail', async () => {
  const page = await newPage();
  await login(page, VIEWER);
  await page.goto(`${BASE}/#/projects/${PID}/tests`);
  await page.waitForSelector('[data-testid=nav-configs]');
  assert((await page.locator('[data-testid=nav-configs-testrail]').count()) === 0, 'viewer sees the TestRail config link');
  const newTest = page.locator('[data-testid=new-test]');
  assert(await newTest.isDisabled(), 'viewer can click New test');
  assert(/edit-tests/.test(await newTest.getAttribute('title')), 'disabled New test explains why');
  await page.goto(`${BASE}/#/projects/${PID}/configs`);
  await expectText(page.locator('[data-testid=configs-reason]'), /edit-configs/, 'configs reason');
  await shot(page, '12-viewer-configs');
  await page.goto(`${BASE}/#/projects/${PID}/configs/testrail`);
  await expectText(page.locator('[data-testid=testrail-denied]'), /edit-configs/, 'direct link denied');
  assert((await page.locator('[data-testid=tr-connection-form]').count()) === 0, 'viewer sees the connection form');
  await page.context().close();
});

// ---- Configs → TestRail (skipped while the server has no such endpoint) ----
async function needTestrailApi() {
  const r = await rest('GET', `/projects/${PID}/testrail`);
  if (r.status === 404 && r.json?.error?.code === 'no_route') throw new Skip('endpoint not available (GET /projects/{p}/testrail → 404 no_route)');
  return r;
}

test('TestRail: connect with a wrong key shows the error, then the right key connects', async () => {
  await needTestrailApi();
  const page = adminPage;
  await page.goto(`${BASE}/#/projects/${PID}/configs/testrail`);
  await page.waitForSelector('[data-testid=tr-connection-form]');
  await shot(page, '13-testrail-empty');
  await page.fill('[data-testid=tr-url]', simUrl);
  await page.fill('[data-testid=tr-user]', SIM_USER);
  await page.fill('[data-testid=tr-key]', 'wrong-key-0000');
  await page.click('[data-testid=tr-save-connect]');
  const shown = await expectText(page.locator('[data-testid=tr-connection] [data-testid=error]'), /.+/, 'connect error');
  const api = await rest('PUT', `/projects/${PID}/testrail/connection`, { url: simUrl, user: SIM_USER, api_key: 'wrong-key-0000' });
  assert(api.status >= 400 && shown.includes(api.json.error.message), `UI shows "${shown}", API says "${api.json?.error?.message}"`);
  await shot(page, '14-testrail-wrong-key');
  await page.fill('[data-testid=tr-key]', SIM_KEY);
  await page.click('[data-testid=tr-save-connect]');
  await page.waitForSelector('[data-testid=tr-connected]');
  await expectText(page.locator('[data-testid=tr-connected]'), /0001/, 'key last 4');
  const cfg = (await needTestrailApi()).json;
  assert(!JSON.stringify(cfg).includes(SIM_KEY), 'API key leaked in GET');
});

test('TestRail: pick project and suites with search, Select All, Clear', async () => {
  const r = await needTestrailApi();
  if (!r.json?.connection?.api_key_set) throw new Error('not connected (previous case failed)');
  const page = adminPage;
  await page.goto(`${BASE}/#/projects/${PID}/configs/testrail`);
  await page.waitForSelector('[data-testid=tr-project] option >> nth=1', { state: 'attached' });
  const value = await page.locator('[data-testid=tr-project] option >> nth=1').getAttribute('value');
  await page.selectOption('[data-testid=tr-project]', value);
  await page.waitForSelector('[data-testid=tr-suite]');
  const names = await page.locator('[data-testid=tr-suite] span:nth-child(2)').allInnerTexts();
  assert(names.length >= 2, `expected several suites, got ${names}`);
  await page.click('[data-testid=tr-select-all]');
  await expectText(page.locator('[data-testid=tr-selected-count]'), new RegExp(`^${names.length} selected`), 'select all');
  await page.click('[data-testid=tr-clear]');
  await expectText(page.locator('[data-testid=tr-selected-count]'), /^0 selected/, 'clear');
  await page.fill('[data-testid=tr-suite-search]', names[1]);
  const filtered = await page.locator('[data-testid=tr-suite]').count();
  assert(filtered >= 1 && filtered < names.length, `search "${names[1]}" should narrow ${names.length} suites, shows ${filtered}`);
  await page.click('[data-testid=tr-select-all]');
  await expectText(page.locator('[data-testid=tr-selected-count]'), new RegExp(`^${filtered} selected`), 'select all of the search');
  await page.fill('[data-testid=tr-suite-search]', '');
  await page.locator('[data-testid=tr-suite] input >> nth=0').check();
  await page.click('[data-testid=tr-save-suites]');
  await page.waitForSelector('[data-testid=tr-project-suites] .ok-text');
  const cfg = (await needTestrailApi()).json;
  const saved = cfg.suite_ids ?? (cfg.suites || []).map((s) => s.id ?? s);
  assert(saved.length === filtered + 1, `saved suites ${JSON.stringify(saved)}`);
  await shot(page, '15-testrail-project-suites');
});

test('TestRail: change mapping in Basic and Advanced, then Reset to Defaults', async () => {
  const r = await needTestrailApi();
  if (!r.json?.connection?.api_key_set) throw new Error('not connected (previous case failed)');
  const page = adminPage;
  await page.goto(`${BASE}/#/projects/${PID}/configs/testrail`);
  await page.waitForSelector('[data-testid=map-basic-NoBug] option >> nth=2', { state: 'attached' });
  await page.click('[data-testid=tr-mode-basic]');
  await page.selectOption('[data-testid=map-basic-Undecided]', '');
  await page.selectOption('[data-testid=map-basic-NoBug]', '5');
  await page.click('[data-testid=tr-save-mapping]');
  await page.waitForSelector('[data-testid=tr-mapping-msg]');
  let m = await restOk('GET', `/projects/${PID}/testrail/mapping`);
  assert(m.basic.Undecided === null && m.basic.NoBug === 5, `basic saved: ${JSON.stringify(m.basic)}`);
  await shot(page, '16-testrail-mapping-basic');
  await page.click('[data-testid=tr-mode-advanced]');
  await page.selectOption('[data-testid=map-adv-Stopped-LikelyBug]', '2');
  await page.click('[data-testid=tr-save-mapping]');
  await page.waitForSelector('[data-testid=tr-mapping-msg]');
  m = await restOk('GET', `/projects/${PID}/testrail/mapping`);
  assert(m.mode === 'advanced' && m.advanced.Stopped.LikelyBug === 2, `advanced saved: ${JSON.stringify(m)}`);
  await shot(page, '17-testrail-mapping-advanced');
  await page.click('[data-testid=tr-reset-mapping]');
  await expectText(page.locator('[data-testid=tr-mapping-msg]'), /reset/i, 'reset message');
  m = await restOk('GET', `/projects/${PID}/testrail/mapping`);
  const want = { NoBug: 1, LikelyNoBug: 1, Undecided: 4, LikelyBug: 5, DefinitelyBug: 5 };
  assert(m.mode === 'basic' && JSON.stringify(m.basic) === JSON.stringify({ ...m.basic, ...want }), `defaults: ${JSON.stringify(m)}`);
  assert(Object.values(m.advanced.Error).every((v) => v === null), 'Error not reported by default');
  assert((await page.locator('[data-testid=map-basic-Undecided]').inputValue()) === '4', 'UI shows the default after reset');
  await shot(page, '18-testrail-config');
});

test('TestRail: link cases at test level through the picker (search by id and title)', async () => {
  const r = await rest('GET', `/projects/${PID}/tests/${seededTest.id}/testrail-links`);
  if (r.status === 404 && r.json?.error?.code === 'no_route') throw new Skip('endpoint not available (testrail-links → 404 no_route)');
  const cfg = (await needTestrailApi()).json;
  if (!cfg?.connection?.api_key_set) throw new Error('not connected (previous case failed)');
  const sync = await rest("POST", `/projects/${PID}/testrail/catalog/sync?wait=1`);
  assert(sync.status < 300, `catalog sync: ${sync.status} ${JSON.stringify(sync.json)}`);
  const page = adminPage;
  await page.goto(`${BASE}/#/projects/${PID}/tests/${seededTest.id}`);
  await page.click('[data-testid=testrail-button]');
  await page.waitForSelector('[data-testid=case-picker]');
  await page.waitForSelector('[data-testid=case-row]', { timeout: 30000 });
  const firstId = (await page.locator('[data-testid=case-row] .case-id >> nth=0').innerText()).trim();
  await page.fill('[data-testid=picker-search]', firstId);
  await page.waitForFunction((id) => {
    const rows = [...document.querySelectorAll('[data-testid=case-row] .case-id')];
    return rows.length >= 1 && rows.every((x) => x.textContent.trim() === id);
  }, firstId);
  await page.locator('[data-testid=case-row] input >> nth=0').check();
  await expectText(page.locator('[data-testid=picker-selected-count]'), /^1 selected/, 'count');
  await shot(page, '19-case-picker');
  await page.click('[data-testid=confirm-selection]');
  await page.waitForSelector('[data-testid=case-picker]', { state: 'detached' });
  await expectText(page.locator('[data-testid=link-label]'), new RegExp(firstId), 'link label');
  await shot(page, '20-test-links');
});

// ---- run ----
for (const c of cases) {
  const t = Date.now();
  try {
    await c.fn();
    results.passed++;
    console.log(`PASS ${c.name} (${Date.now() - t} ms)`);
  } catch (e) {
    if (e instanceof Skip) {
      results.skipped++;
      console.log(`SKIP: ${e.message} — ${c.name}`);
    } else {
      results.failed++;
      console.log(`FAIL ${c.name}: ${e.stack || e}`);
      try {
        if (adminPage) await shot(adminPage, `fail-${cases.indexOf(c)}`);
      } catch { /* ignore */ }
    }
  }
}
await browser.close();
cleanup();
console.log(`logs: ${tmp} · screenshots: ${SHOTS}${results.skipped ? ` · ${results.skipped} skipped` : ''}`);
console.log(`${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed ? 1 : 0);
