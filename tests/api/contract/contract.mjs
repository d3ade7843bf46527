// OpenAPI contract, client side: validates src/api/openapi.json as OpenAPI 3.1, then drives a
// real `nexus serve` (with a seeded testrail-sim for the TestRail routes, both on loopback
// port 0) through every documented operation and validates each real response — status and
// body — against the document with a JSON Schema 2020-12 validator (Ajv2020). Fails when a
// response does not match, when a status is not documented, or when an operation was not
// exercised. Env: NEXUS_SOURCE_DIR, NEXUS_BUILD_DIR.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { validate as validateOpenApi } from '@readme/openapi-parser';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const SRC = process.env.NEXUS_SOURCE_DIR;
const BUILD = process.env.NEXUS_BUILD_DIR;
const DOC_FILE = path.join(SRC, 'src', 'api', 'openapi.json');
const doc = JSON.parse(fs.readFileSync(DOC_FILE, 'utf8'));
const failures = [];
const fail = (msg) => { failures.push(msg); console.log(`FAIL ${msg}`); };

// ---- the document itself ----
const checked = await validateOpenApi(structuredClone(doc));
if (!checked.valid) {
  console.log(`FAIL ${DOC_FILE} is not valid OpenAPI 3.1:`, JSON.stringify(checked.errors, null, 2));
  process.exit(1);
}
if (doc.openapi !== '3.1.0') fail(`openapi must be 3.1.0, is ${doc.openapi}`);
console.log('PASS document is valid OpenAPI 3.1');

// ---- schemas ----
const ROOT = 'https://nexus.invalid/openapi.json';
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
ajv.addVocabulary(['components']);
ajv.addSchema({ $id: ROOT, components: { schemas: doc.components.schemas } });
const absolute = (schema) => JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${ROOT}#/components/`));
const compiled = new Map();
function validator(schema) {
  const key = JSON.stringify(schema);
  if (!compiled.has(key)) compiled.set(key, ajv.compile(absolute(schema)));
  return compiled.get(key);
}
const deref = (o) => (o && o.$ref ? o.$ref.split('/').slice(1).reduce((a, k) => a[k], doc) : o);

// Operations as [method, template, regex]; longest literal prefix first does not matter since
// templates never overlap once captures are typed.
const ops = [];
for (const [tpl, item] of Object.entries(doc.paths))
  for (const m of ['get', 'post', 'put', 'patch', 'delete'])
    if (item[m]) {
      const names = [];
      const rx = tpl.replace(/\{([a-z_]+)\}/g, (_, n) => {
        names.push(n);
        return n === 's' ? '([A-Za-z0-9_.-]+)' : '([1-9][0-9]*)';
      });
      ops.push({ method: m.toUpperCase(), tpl, rx: new RegExp(`^${rx}$`), op: item[m], seen: new Set() });
    }
function findOp(method, p) {
  const bare = p.split('?')[0];
  return ops.find((o) => o.method === method && o.rx.test(bare));
}

// Validates one exchange against the document. Returns the parsed body.
function check(method, p, body, status, contentType, text) {
  const label = `${method} ${p} → ${status}`;
  const o = findOp(method, p);
  if (!o) { fail(`${label}: no such operation in the document`); return null; }
  o.seen.add(status);
  // Requests the server accepted must match the documented request schema (deliberately bad
  // ones, answered 4xx, are exempt).
  if (body !== undefined && o.op.requestBody && status < 400) {
    const schema = o.op.requestBody.content['application/json'].schema;
    const v = validator(schema);
    if (!v(body)) fail(`${label}: the request body the test sends does not match the document: ${ajv.errorsText(v.errors)}`);
  }
  const resp = deref(o.op.responses[String(status)] ?? (status >= 400 ? o.op.responses.default : undefined));
  if (!resp) { fail(`${label}: status ${status} is not documented for ${o.method} ${o.tpl}`); return null; }
  if (!resp.content) {
    if (text !== '') fail(`${label}: documented without a body, got ${text.slice(0, 200)}`);
    return null;
  }
  const [media, { schema }] = Object.entries(resp.content)[0];
  if (media !== '*/*' && !contentType.startsWith(media)) { fail(`${label}: content type ${contentType}, documented ${media}`); return null; }
  if (media !== 'application/json') return text;  // bytes (downloads: */*) are not validated
  let json;
  try { json = JSON.parse(text); } catch { fail(`${label}: body is not JSON`); return null; }
  const v = validator(schema);
  if (!v(json)) fail(`${label}: response does not match the document: ${ajv.errorsText(v.errors)}\n  body: ${text.slice(0, 600)}`);
  return json;
}

// ---- processes ----
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nexus-contract-'));
const dataDir = path.join(tmp, 'data');
fs.mkdirSync(dataDir);
const procs = [];
function start(bin, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    p.stderr.pipe(fs.createWriteStream(path.join(tmp, path.basename(bin) + '.log')));
    const rl = readline.createInterface({ input: p.stdout });
    let first = true;
    rl.on('line', (line) => {
      if (!first) return;
      first = false;
      const m = /(https?:\/\/\S+)/.exec(line);
      m ? resolve(m[1].replace(/\/$/, '')) : reject(new Error(`${bin}: unexpected first line: ${line}`));
    });
    p.on('exit', (code) => first && reject(new Error(`${bin} exited with ${code} before listening (logs: ${tmp})`)));
    setTimeout(() => first && reject(new Error(`${bin} did not start in 20s`)), 20000);
  });
}
process.on('exit', () => { for (const p of procs) if (p.exitCode === null) p.kill('SIGTERM'); });

const ADMIN = { email: 'admin@contract.test', password: 'contract admin pw' };
const SIM_USER = 'admin@example.com';
const SIM_KEY = 'nexus-sim-demo-api-key-0001';
const nexus = (args, input) =>
  execFileSync(path.join(BUILD, 'nexus'), [...args, '--data-dir', dataDir], { input, encoding: 'utf8' }).trim();
nexus(['user', 'add', '--email', ADMIN.email, '--name', 'Ada Admin', '--org-admin', '--password-stdin'], ADMIN.password + '\n');
const TOKEN = nexus(['token', 'create', '--email', ADMIN.email, '--name', 'contract']).split('\n').pop();
const simUrl = await start(path.join(BUILD, 'testrail-sim'), ['--listen', '127.0.0.1:0', '--generate', 'projects=2,suites=3,cases=120']);
const BASE = await start(path.join(BUILD, 'nexus'), ['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir, '--testrail-allow-private']);

// One exchange: sends, validates, returns {status, json}. `auth`: 'token' (default), 'none',
// or {cookie, csrf} for a web session.
async function call(method, p, body, { auth = 'token', expect } = {}) {
  const headers = {};
  if (auth === 'token') headers.Authorization = `Bearer ${TOKEN}`;
  else if (auth && auth.cookie) {
    headers.Cookie = auth.cookie;
    if (auth.csrf) headers['X-CSRF-Token'] = auth.csrf;
  }
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const url = p.startsWith('/api/') || p === '/healthz' || p === '/readyz' || p === '/metrics' ? p : `/api/v1${p}`;
  const r = await fetch(BASE + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  const json = check(method, url, body, r.status, r.headers.get('content-type') ?? '', text);
  if (expect !== undefined && r.status !== expect) fail(`${method} ${url}: expected ${expect}, got ${r.status} ${text.slice(0, 300)}`);
  return { status: r.status, json, headers: r.headers };
}
const ok = async (method, p, body, opts) => (await call(method, p, body, { expect: method === 'POST' ? undefined : 200, ...opts })).json ?? {};

// ---- operations ----
await call('GET', '/healthz', undefined, { auth: 'none', expect: 200 });
await call('GET', '/readyz', undefined, { auth: 'none', expect: 200 });
await call('GET', '/metrics', undefined, { auth: 'none', expect: 200 });
await call('GET', '/api/v1/openapi.json', undefined, { auth: 'none', expect: 200 });
await call('GET', '/me', undefined, { auth: 'none', expect: 401 });
await call('POST', '/auth/login', { email: ADMIN.email, password: 'wrong password' }, { auth: 'none', expect: 401 });
const login = await call('POST', '/auth/login', ADMIN, { auth: 'none', expect: 200 });
const session = { cookie: login.headers.get('set-cookie').split(';')[0], csrf: login.json?.csrf_token };
await call('GET', '/me', undefined, { auth: session, expect: 200 });
await call('GET', '/me', undefined, { expect: 200 });

const tok = await call('POST', '/tokens', { name: 'short-lived' }, { expect: 201 });
await ok('GET', '/tokens');
await call('DELETE', `/tokens/${tok.json.id}`, undefined, { expect: 204 });
await call('DELETE', `/tokens/${tok.json.id}`, undefined, { expect: 404 });

const viewer = (await call('POST', '/users', { email: 'viewer@contract.test', name: 'Vic Viewer', password: 'viewer pw 123', org_admin: false }, { expect: 201 })).json;
await call('POST', '/users', { email: 'x@contract.test', name: 'X', password: 'pw pw pw', typo: 1 }, { expect: 400 });
await ok('GET', '/users');

const project = (await call('POST', '/projects', { name: 'Contract' }, { expect: 201 })).json;
const P = `/projects/${project.id}`;
await ok('GET', '/projects');
await ok('GET', P);
await call('GET', '/projects/999999', undefined, { expect: 404 });
await call('GET', `${P}/testrail`, undefined, { expect: 404 });  // feature off
await ok('PUT', `${P}/features`, { testrail: true });
await ok('PUT', `${P}/members/${viewer.id}`, { role: 'viewer' });
await ok('GET', `${P}/members`);
await call('DELETE', `${P}/members/${viewer.id}`, undefined, { expect: 204 });

const test = (await call('POST', `${P}/tests`, {
  name: 'Checkout', tags: ['smoke'],
  steps: [{ goal: 'Sign in', expected_results: ['Dashboard'] }, { goal: 'Pay', expected_results: ['Confirmation'] }],
}, { expect: 201 })).json;
const T = `${P}/tests/${test.id}`;
await ok('GET', `${P}/tests?limit=1`);
await ok('GET', T);
const updated = await ok('PUT', T, { name: 'Checkout v2', tags: ['smoke', 'pay'], version: test.version,
  steps: [{ id: test.steps[0].id, goal: 'Sign in', expected_results: ['Dashboard'] }, { id: test.steps[1].id, goal: 'Pay', expected_results: [] }, { goal: 'Log out' }] });
await call('PUT', T, { name: 'stale', version: test.version }, { expect: 409 });
const doomed = (await call('POST', `${P}/tests`, { name: 'Doomed' }, { expect: 201 })).json;
await call('DELETE', `${P}/tests/${doomed.id}`, undefined, { expect: 204 });

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const t0 = Date.parse('2025-03-01T10:00:00Z');
const run = (await call('POST', `${P}/runs`, {
  test_id: test.id, result: 'Success', bug_label: 'LikelyBug', started_at: iso(t0), finished_at: iso(t0 + 60000), build: '1.0', summary: 'ok',
  bugs: [{ title: 'Twice', severity: 'low', step_id: updated.steps[1].id }, { title: 'Slow' }],
  steps: [{ step_id: updated.steps[0].id, result: 'Success', bug_label: 'NoBug', started_at: iso(t0), finished_at: iso(t0 + 1000), comment: 'fine' }],
}, { expect: 201 })).json;
const open = (await call('POST', `${P}/runs`, { test_id: test.id, result: 'Error', bug_label: 'Undecided', started_at: iso(t0 + 1000) }, { expect: 201 })).json;
await ok('GET', `${P}/runs?test_id=${test.id}&result=Success&limit=5`);
await ok('GET', `${P}/runs/${run.id}`);
await ok('PATCH', `${P}/runs/${open.id}`, { finished_at: iso(t0 + 5000), summary: 'crashed' });
await ok('PATCH', `${P}/runs/${run.id}`, { bug_label: 'DefinitelyBug' });
await call('PATCH', `${P}/runs/${run.id}`, {}, { expect: 400 });

const plan = (await call('POST', `${P}/plans`, { name: 'Smoke', test_ids: [test.id] }, { expect: 201 })).json;
await ok('GET', `${P}/plans`);
await ok('GET', `${P}/plans/${plan.id}`);
const exec = (await call('POST', `${P}/executions`, { plan_id: plan.id }, { expect: 201 })).json;
await call('POST', `${P}/runs`, { test_id: test.id, result: 'Success', bug_label: 'NoBug', started_at: iso(t0), finished_at: iso(t0 + 2000), execution_id: exec.id }, { expect: 201 });
await call('POST', `${P}/runs`, { test_id: test.id, result: 'Success', bug_label: 'NoBug', started_at: iso(t0), execution_id: exec.id }, { expect: 409 });
await ok('GET', `${P}/executions`);
await ok('GET', `${P}/executions/${exec.id}`);
await ok('GET', `${P}/runs?execution_id=${exec.id}`);

// TestRail configuration against the simulator.
const TR = `${P}/testrail`;
await ok('GET', TR);
await ok('GET', `${TR}/summary`);
await call('PUT', `${TR}/connection`, { url: simUrl, user: SIM_USER, api_key: 'wrong-key-0000' });
await ok('PUT', `${TR}/connection`, { url: simUrl, user: SIM_USER, api_key: SIM_KEY });
const remote = await ok('GET', `${TR}/remote/projects`);
await ok('PUT', `${TR}/project`, { testrail_project_id: remote.items[0].id });
const suites = await ok('GET', `${TR}/remote/suites?q=`);
await ok('PUT', `${TR}/suites`, { suite_ids: suites.items.map((s) => s.id) });
await ok('GET', `${TR}/statuses?refresh=1`);
await ok('GET', `${TR}/statuses`);
const mapping = await ok('GET', `${TR}/mapping`);
const { invalid_cells: _ignored, ...plain } = mapping;
await ok('PUT', `${TR}/mapping`, { ...plain, mode: 'advanced' });
await call('POST', `${TR}/mapping/reset`, undefined, { expect: 200 });
await ok('PUT', `${TR}/options`, { close_run_on_completion: true, auto_export: false, run_name_template: 'Nexus {date}', milestone_id: null, attachments: { mode: 'none', media_types: ['image/*', 'text/plain'], max_bytes: 10485760 } });
// Result fields, milestones and users of the instance (issue 14).
await ok('GET', `${TR}/export-fields`);
await ok('PUT', `${TR}/export-fields`, { fields: {}, failed_assignee_id: null, step_results: false });
await ok('GET', `${TR}/remote/milestones?include_completed=true`);
await ok('GET', `${TR}/remote/users`);
await ok('GET', `${TR}/remote/configs`);
await ok('GET', `${TR}/configurations`);
await ok('PUT', `${TR}/configurations`, { attributes: [] }); // an empty list clears the mapping
await ok('GET', TR);
await ok('GET', `${TR}/summary`);

// Catalog and links.
await call('POST', `${TR}/catalog/sync`, { mode: 'full' });
await call('POST', `${TR}/catalog/sync?wait=1`, undefined);
await ok('GET', `${TR}/catalog`);
const sections = await ok('GET', `${TR}/sections`);
await ok('GET', `${TR}/sections?suite_id=${suites.items[0].id}`);
const cases = await ok('GET', `${TR}/cases?limit=5`);
await ok('GET', `${TR}/cases?q=C${cases.items[0]?.id ?? 1}&section_id=${sections.items[0]?.id ?? 1}`);
const caseIds = cases.items.slice(0, 3).map((c) => c.id);
await ok('PUT', `${T}/testrail-links`, { case_ids: caseIds.slice(0, 2) });
await ok('GET', `${T}/testrail-links`);
await call('POST', `${T}/testrail-links/acknowledge`, { case_ids: caseIds.slice(0, 1) }, { expect: 200 });
const step = updated.steps[0].id;
await ok('PUT', `${T}/steps/${step}/testrail-links`, { case_ids: caseIds.slice(2, 3) });
await ok('GET', `${T}/steps/${step}/testrail-links`);

// Exports.
await call('POST', `${TR}/exports`, { run_id: run.id, dry_run: true, attachments: { mode: 'all' } }, { expect: 200 });
const exp = (await call('POST', `${TR}/exports`, { run_id: run.id, custom_run_name: 'Contract run' }, { expect: 200 })).json;
await call('POST', `${TR}/exports`, { execution_id: exec.id, wait: false });
await call('POST', `${TR}/exports`, { run_ids: [run.id, open.id], dry_run: true }, { expect: 200 });
await call('POST', `${TR}/exports`, {}, { expect: 400 });
await ok('GET', `${TR}/exports?limit=2`);
if (exp?.id) await ok('GET', `${TR}/exports/${exp.id}`);
await ok('GET', `${P}/runs/${run.id}/testrail`);
await ok('GET', `${P}/runs/${open.id}/testrail`);
await ok('GET', `${P}/testrail/run-sync?run_ids=${run.id},${open.id}`);
await call('GET', `${P}/testrail/run-sync?run_ids=0,x`, undefined, { expect: 400 });
await ok('GET', `${T}/testrail-links`);

// JUnit import (issue 18): an XML body.
const junitXml = Buffer.from('<?xml version="1.0"?><testsuite name="s" tests="1"><testcase classname="a.B" name="works" time="0.1"/></testsuite>');
const imported = await (async () => { const r = await fetch(`${BASE}/api/v1${P}/imports/junit?execution_name=contract`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/xml' }, body: junitXml }); const text = await r.text(); check('POST', `/api/v1${P}/imports/junit?execution_name=contract`, undefined, r.status, r.headers.get('content-type') ?? '', text); if (r.status !== 201) fail(`POST imports/junit: expected 201, got ${r.status} ${text.slice(0, 300)}`); return r.status; })();

// Run artifacts (issue 17): raw bodies, not JSON.
async function rawCall(method, p, bytes, type, { expect, headers: extra = {} } = {}) {
  const headers = { Authorization: `Bearer ${TOKEN}`, ...extra };
  if (type) headers['Content-Type'] = type;
  const url = `/api/v1${p}`;
  const r = await fetch(BASE + url, { method, headers, body: bytes });
  const buf = Buffer.from(await r.arrayBuffer());
  const text = (r.headers.get('content-type') ?? '').startsWith('application/json') || buf.length === 0 ? buf.toString('utf8') : '';
  const json = check(method, url, undefined, r.status, r.headers.get('content-type') ?? '', text);
  if (expect !== undefined && r.status !== expect) fail(`${method} ${url}: expected ${expect}, got ${r.status} ${buf.toString('utf8').slice(0, 300)}`);
  return { status: r.status, json, buf };
}
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]);
const A = `${P}/runs/${run.id}/artifacts`;
const art = (await rawCall('POST', `${A}?name=shot.png&step_id=${updated.steps[0].id}`, png, 'image/png', { expect: 201 })).json;
await rawCall('POST', `${A}?name=x.png`, Buffer.from('GIF89a'), 'image/png', { expect: 415 });
await ok('GET', A);
const got = await rawCall('GET', `${A}/${art.id}`, undefined, undefined, { expect: 200 });
if (!got.buf.equals(png)) fail(`GET ${A}/${art.id}: the bytes differ from the upload`);
await rawCall('GET', `${A}/${art.id}`, undefined, undefined, { expect: 206, headers: { Range: 'bytes=0-7' } });
await call('DELETE', `${A}/${art.id}`, undefined, { expect: 204 });
await call('GET', `${A}/${art.id}`, undefined, { expect: 404 });

// Teardown routes last.
await call('DELETE', `${TR}/connection`, undefined, { expect: 204 });
await call('POST', '/auth/logout', undefined, { auth: { cookie: session.cookie }, expect: 403 });
await call('POST', '/auth/logout', undefined, { auth: session, expect: 204 });

// ---- coverage ----
for (const o of ops) {
  const success = [...o.seen].some((s) => s < 300);
  if (!success) fail(`${o.method} ${o.tpl}: never answered with a success status (saw ${[...o.seen].join(', ') || 'nothing'})`);
}
const exchanges = ops.reduce((n, o) => n + o.seen.size, 0);
console.log(`${ops.length} operations, ${exchanges} distinct (operation, status) pairs checked; ${failures.length} failed`);
if (failures.length) console.log(`logs: ${tmp}`);
else fs.rmSync(tmp, { recursive: true, force: true });
process.exit(failures.length ? 1 : 0);
