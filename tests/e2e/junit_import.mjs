// e2e of issue 18 (R-IMPORT): a JUnit report posted like a CI would becomes an execution whose
// runs the UI shows; re-posting it is idempotent; the execution exports from the UI like any
// other and its results land in the simulator. Called once from e2e.mjs (just before the
// browser closes) with the helpers it needs; counts itself in ctx.results.
export async function run(ctx) {
  const { BASE, TOKEN, PID, newPage, login, ADMIN, restOk, sim, simTests, shot, expectText, assert, results } = ctx;
  const name = 'JUnit import: the imported execution and its runs appear in the UI and export like any other';
  const t0 = Date.now();
  try {
    const summary = await restOk('GET', `/projects/${PID}/testrail/summary`);
    assert(summary.connected, `TestRail must be connected by the earlier cases: ${JSON.stringify(summary)}`);
    const cases = (await restOk('GET', `/projects/${PID}/testrail/cases?limit=250`)).items;
    const suiteId = cases[0]?.suite_id;
    const [c1, c2] = cases.filter((c) => c.suite_id === suiteId).map((c) => c.id);
    assert(c1 && c2, `two catalog cases of one suite: ${JSON.stringify(cases.slice(0, 3))}`);
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="e2e">
  <testsuite name="ci.Checkout" timestamp="2026-11-30T10:00:00Z" tests="3" failures="1">
    <testcase classname="ci.Checkout" name="pays by card C${c1}" time="1.5"/>
    <testcase classname="ci.Checkout" name="refunds an order" time="0.5">
      <properties><property name="testrail_case_id" value="C${c2}"/></properties>
      <failure message="refund not created" type="AssertionError">AssertionError: refund not created</failure>
    </testcase>
    <testcase classname="ci.Checkout" name="applies a coupon" time="0"><skipped/></testcase>
  </testsuite>
</testsuites>
`;
    const post = async () => {
      const r = await fetch(`${BASE}/api/v1/projects/${PID}/imports/junit?execution_name=E2E%20JUnit%20import`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/xml' },
        body: xml,
      });
      return { status: r.status, json: await r.json() };
    };
    const first = await post();
    assert(first.status === 201, `import: ${first.status} ${JSON.stringify(first.json)}`);
    assert(first.json.testcases === 3 && first.json.failed === 1 && first.json.skipped === 1 && first.json.links_added === 2, `import counts: ${JSON.stringify(first.json)}`);
    const again = await post();
    assert(again.status === 200 && again.json.already_imported && again.json.execution_id === first.json.execution_id, `re-post: ${again.status} ${JSON.stringify(again.json)}`);
    const execution = first.json.execution_id;

    const page = await newPage();
    await login(page, ADMIN);
    // The execution, completed, under the plan named after the execution name.
    await page.goto(`${BASE}/#/projects/${PID}/plans`);
    const row = page.locator('[data-testid=executions-table] tbody tr', { hasText: 'E2E JUnit import' });
    await expectText(row, /completed/, 'imported execution row');
    assert((await row.count()) === 1, `one execution row for the report, got ${await row.count()}`);
    await shot(page, '60-junit-imported-execution');
    // Its runs, with the imported tests' names and results.
    const runs = (await restOk('GET', `/projects/${PID}/runs?execution_id=${execution}&limit=10`)).items;
    assert(runs.length === 3, `runs of the execution: ${JSON.stringify(runs)}`);
    const failedRun = runs.find((r) => r.bug_label === 'DefinitelyBug');
    assert(failedRun && failedRun.summary.includes('refund not created'), `failed run: ${JSON.stringify(failedRun)}`);
    await page.goto(`${BASE}/#/projects/${PID}/runs/${failedRun.id}`);
    await expectText(page.locator('main'), /ci\.Checkout › refunds an order/, 'run detail of an imported test');
    await expectText(page.locator('main'), /refund not created/, 'run summary');
    await shot(page, '61-junit-imported-run');

    // Export from the UI like any other execution.
    await page.goto(`${BASE}/#/projects/${PID}/plans`);
    await row.locator('button:has-text("Export")').click();
    await page.waitForSelector('[data-testid=export-dialog]');
    await page.fill('[data-testid=export-name]', 'E2E JUnit import export');
    await page.click('[data-testid=export-confirm]');
    const link = page.locator('[data-testid=export-result] [data-testid=testrail-link]');
    await link.waitFor({ timeout: 60000 });
    const href = await link.getAttribute('href');
    const m = /runs\/view\/(\d+)$/.exec(href || '');
    assert(m, `one suite: a TestRail run, got ${href}`);
    await shot(page, '62-junit-exported');
    const tested = (await simTests(m[1])).filter((x) => x.status_id !== 3);
    const byCase = new Map(tested.map((x) => [x.case_id, x.status_id]));
    assert(byCase.has(c1) && byCase.has(c2) && tested.length === 2, `results in TestRail run ${m[1]}: ${JSON.stringify(tested)}`);
    assert(byCase.get(c1) !== byCase.get(c2), `passed and failed cases got one status: ${JSON.stringify(tested)}`);
    const trRun = await sim('GET', `get_run/${m[1]}`);
    assert(trRun.name === 'E2E JUnit import export', `TestRail run name: ${trRun.name}`);
    await page.context().close();
    results.passed++;
    console.log(`PASS ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.failed++;
    console.log(`FAIL ${name}: ${e.stack || e}`);
  }
}
