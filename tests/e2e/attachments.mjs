// e2e (issue 17, R-ART): run artifacts as TestRail attachments. Its own simulator and Nexus
// project. Through the API: a run of a 2-step test (a step linked to its own case) with one
// screenshot per step and a log. Through the UI: the artifacts on the run page, the attachment
// option in Configs → TestRail → Export options, and the export dialog's override. Then the
// simulator: every linked case's result has its attachments exactly once, and its HTML view
// shows them (images inline).
export async function run(ctx) {
  const { start, simBin, rest, restOk, newPage, login, ADMIN, shot, assert, expectText, BASE, results, token } = ctx;
  const name = 'TestRail attachments: artifacts on the run page, the export option, uploaded once (issue 17)';
  const t0 = Date.now();
  let page;
  try {
    const simUrl = await start(simBin, ['--listen', '127.0.0.1:0', '--generate', 'projects=1,suites=1,cases=10']);
    const auth = 'Basic ' + Buffer.from('admin@example.com:nexus-sim-demo-api-key-0001').toString('base64');
    const simGet = async (endpoint) => {
      const r = await fetch(`${simUrl}/index.php?/api/v2/${endpoint}`, { headers: { Authorization: auth } });
      return r.json();
    };
    const project = await restOk('POST', '/projects', { name: 'Evidence' });
    const P = project.id;
    await restOk('PUT', `/projects/${P}/features`, { testrail: true });
    await restOk('PUT', `/projects/${P}/testrail/connection`, { url: simUrl, user: 'admin@example.com', api_key: 'nexus-sim-demo-api-key-0001' });
    await restOk('PUT', `/projects/${P}/testrail/project`, { testrail_project_id: 1 });
    const suites = await simGet('get_suites/1');
    const suiteList = Array.isArray(suites) ? suites : suites.suites;
    const cfg = await rest('GET', `/projects/${P}/testrail`);
    if (!cfg.json.suites.length) await restOk('PUT', `/projects/${P}/testrail/suites`, { suite_ids: [suiteList[0].id] });
    await restOk('POST', `/projects/${P}/testrail/catalog/sync?wait=1`);
    const casesResp = await simGet(`get_cases/1&suite_id=${suiteList[0].id}`);
    const cases = Array.isArray(casesResp) ? casesResp : casesResp.cases;
    const test = await restOk('POST', `/projects/${P}/tests`, {
      name: 'Checkout with evidence',
      steps: [{ goal: 'Open cart', expected_results: ['Cart shows'] }, { goal: 'Pay', expected_results: ['Paid'] }],
    });
    await restOk('PUT', `/projects/${P}/tests/${test.id}/testrail-links`, { case_ids: [cases[0].id] });
    await restOk('PUT', `/projects/${P}/tests/${test.id}/steps/${test.steps[1].id}/testrail-links`, { case_ids: [cases[1].id] });
    const run = await restOk('POST', `/projects/${P}/runs`, {
      test_id: test.id, result: 'Stopped', bug_label: 'DefinitelyBug',
      started_at: '2026-01-01T10:00:00Z', finished_at: '2026-01-01T10:00:05Z', build: '7.1.0',
    });
    // A tiny valid PNG (1×1) per step and a log, uploaded raw as the API takes them.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
    const upload = async (q, body, type) => {
      const r = await fetch(`${BASE}/api/v1/projects/${P}/runs/${run.id}/artifacts?${q}`, {
        method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': type }, body,
      });
      assert(r.status === 201, `upload ${q}: ${r.status} ${await r.text()}`);
    };
    await upload(`name=step-1.png&step_id=${test.steps[0].id}`, png, 'image/png');
    await upload(`name=step-2.png&step_id=${test.steps[1].id}`, png, 'image/png');
    await upload('name=agent.log', 'agent started\nstep 2 failed\n', 'text/plain');

    // The run page shows them (thumbnails, the log).
    page = await newPage();
    await login(page, ADMIN);
    await page.goto(`${BASE}/#/projects/${P}/runs/${run.id}`);
    await page.waitForSelector('[data-testid=run-artifacts]');
    assert((await page.locator('[data-testid=artifact]').count()) === 3, 'three artifacts on the run page');
    assert((await page.locator('[data-testid=artifact-image]').count()) >= 2, 'screenshots as thumbnails');
    await shot(page, '47-run-artifacts');

    // Configs → TestRail → Export options: attach failed results only.
    await page.goto(`${BASE}/#/projects/${P}/configs/testrail`);
    await page.waitForSelector('[data-testid=tr-attach-mode]');
    await page.selectOption('[data-testid=tr-attach-mode]', 'failed');
    await page.click('[data-testid=tr-options] .btn-primary');
    await page.waitForSelector('[data-testid=tr-options] .ok-text');
    const opts = await restOk('GET', `/projects/${P}/testrail`);
    assert(opts.options.attachments.mode === 'failed', `option saved: ${JSON.stringify(opts.options)}`);
    await shot(page, '48-testrail-attachment-option');
    const bad = await rest('PUT', `/projects/${P}/testrail/options`, { attachments: { mode: 'sometimes' } });
    assert(bad.status === 400 && bad.json.error.field === 'attachments.mode', `bad option: ${bad.status} ${JSON.stringify(bad.json)}`);

    // The export dialog, overriding the option with "all".
    await page.goto(`${BASE}/#/projects/${P}/runs/${run.id}`);
    await page.click('[data-testid=export-run]');
    await page.waitForSelector('[data-testid=export-attachments]');
    await page.selectOption('[data-testid=export-attachments]', 'all');
    await page.click('[data-testid=export-confirm]');
    await expectText(page.locator('[data-testid=export-attachments-count]'), /5 of 5 sent/, 'attachments counted in the export summary');
    await shot(page, '49-export-with-attachments');

    // The simulator: C0 (test level) has both screenshots and the log, C1 (step 2) its
    // screenshot and the log — each once.
    const runs = await simGet('get_runs/1');
    const runList = Array.isArray(runs) ? runs : runs.runs;
    assert(runList.length === 1, `one TestRail run: ${JSON.stringify(runList)}`);
    const testsResp = await simGet(`get_tests/${runList[0].id}`);
    const tests = Array.isArray(testsResp) ? testsResp : testsResp.tests;
    const want = { [cases[0].id]: 'agent.log,step-1.png,step-2.png', [cases[1].id]: 'agent.log,step-2.png' };
    for (const t of tests) {
      const a = await simGet(`get_attachments_for_test/${t.id}`);
      const names = (Array.isArray(a) ? a : a.attachments).map((x) => x.name).sort().join(',');
      assert(names === want[t.case_id], `attachments of C${t.case_id}: ${names}`);
    }
    // TestRail shows a result's attachments on its test's page, as the simulator does.
    const testC0 = tests.find((t) => t.case_id === cases[0].id);
    const testView = `${simUrl}/index.php?/tests/view/${testC0.id}`;
    const html = await (await fetch(testView)).text();
    assert(/class="attachment"/.test(html) && /<img /.test(html) && /agent\.log/.test(html), `the simulator view shows the attachments: ${html.slice(0, 300)}`);
    await page.goto(testView);
    await shot(page, '50-simulator-attachments');
    results.passed++;
    console.log(`PASS ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.failed++;
    console.log(`FAIL ${name}: ${e.stack || e}`);
    try {
      if (page) await shot(page, 'fail-testrail-attachments');
    } catch { /* ignore */ }
  } finally {
    if (page) await page.context().close();
  }
}
