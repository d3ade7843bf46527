// e2e (issue 14): a TestRail instance as strict as company ones — two required custom result
// fields (one a dropdown), milestones with sub-milestones, several users. Runs against its own
// simulator and its own Nexus project, so the shared scenario's instance stays permissive.
// Through the UI: field values (dropdown option, value from the run), milestone picker,
// assignee picker, step-results switch; through the API: the export refused before any write
// without the values, then succeeding with them in every result.
export async function run(ctx) {
  const { start, simBin, rest, restOk, newPage, login, ADMIN, shot, assert, expectText, BASE, results } = ctx;
  const name = 'TestRail fields: required result fields, milestone and assignee pickers, step results switch (issue 14)';
  const t0 = Date.now();
  let page;
  try {
    const simUrl = await start(simBin, [
      '--listen', '127.0.0.1:0', '--generate', 'projects=2,suites=1,cases=20',
      '--result-field', 'name=testenv,type=dropdown,options=Staging|Prod,required=true,label=Test environment',
      '--result-field', 'name=buildtag,type=string,required=true,label=Build tag',
      '--milestones', '4',
    ]);
    const auth = 'Basic ' + Buffer.from('admin@example.com:nexus-sim-demo-api-key-0001').toString('base64');
    const simGet = async (endpoint) => {
      const r = await fetch(`${simUrl}/index.php?/api/v2/${endpoint}`, { headers: { Authorization: auth } });
      return r.json();
    };
    const project = await restOk('POST', '/projects', { name: 'Strict TestRail' });
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
      name: 'Boot to menu',
      steps: [{ goal: 'Boot', expected_results: ['Menu shows'] }],
    });
    await restOk('PUT', `/projects/${P}/tests/${test.id}/testrail-links`, { case_ids: [cases[0].id, cases[1].id] });
    const run = await restOk('POST', `/projects/${P}/runs`, {
      test_id: test.id, result: 'Success', bug_label: 'DefinitelyBug',
      started_at: '2026-01-01T10:00:00Z', finished_at: '2026-01-01T10:00:00.400Z', build: '7.1.0',
    });

    // Without values: refused before any write, naming the field.
    const refused = await rest('POST', `/projects/${P}/testrail/exports`, { run_id: run.id });
    assert(refused.status === 400 && refused.json.error.code === 'testrail_field_missing', `export without fields: ${refused.status} ${JSON.stringify(refused.json)}`);
    const runsBefore = await simGet('get_runs/1');
    assert((Array.isArray(runsBefore) ? runsBefore : runsBefore.runs).length === 0, 'a TestRail run was created by a refused export');

    // The UI: fields with type and required badge, missing warning.
    page = await newPage();
    await login(page, ADMIN);
    await page.goto(`${BASE}/#/projects/${P}/configs/testrail`);
    await page.waitForSelector('[data-testid=tr-fields] table');
    await expectText(page.locator('[data-testid=tr-fields-missing]'), /Test environment.*Build tag|Build tag.*Test environment/, 'missing fields warning');
    const fieldsView = await restOk('GET', `/projects/${P}/testrail/export-fields`);
    const env = fieldsView.fields.find((f) => f.label === 'Test environment');
    const tag = fieldsView.fields.find((f) => f.label === 'Build tag');
    assert(env && tag && env.type === 'dropdown' && env.required, `fields: ${JSON.stringify(fieldsView.fields)}`);
    const row = (f) => page.locator(`[data-testid="field-row-${f.system_name}"]`);
    await expectText(row(env), /required/, 'required badge');
    await expectText(row(env), /Dropdown/, 'type');
    await page.selectOption(`[data-testid="field-source-${env.system_name}"]`, 'fixed');
    const prod = env.options.find((o) => o.label === 'Prod');
    await page.selectOption(`[data-testid="field-value-${env.system_name}"]`, String(prod.id));
    await page.selectOption(`[data-testid="field-source-${tag.system_name}"]`, 'build');
    // Assignee picker: the simulator's users.
    const users = await restOk('GET', `/projects/${P}/testrail/remote/users`);
    assert(users.items.length >= 1, 'no TestRail users listed');
    await page.selectOption('[data-testid=tr-assignee]', String(users.items[0].id));
    // Step results switch (the instance has the default step-results field).
    assert(fieldsView.step_results_field, `no step results field: ${JSON.stringify(fieldsView)}`);
    await page.check('[data-testid=tr-step-results]');
    await page.click('[data-testid=tr-fields-save]');
    await page.waitForSelector('[data-testid=tr-fields] .ok-text');
    const saved = await restOk('GET', `/projects/${P}/testrail/export-fields`);
    const savedEnv = saved.fields.find((f) => f.system_name === env.system_name);
    const savedTag = saved.fields.find((f) => f.system_name === tag.system_name);
    assert(savedEnv.setting?.source === 'fixed' && savedEnv.setting.value === prod.id, `env saved: ${JSON.stringify(savedEnv)}`);
    assert(savedTag.setting?.source === 'build', `build tag saved: ${JSON.stringify(savedTag)}`);
    assert(saved.failed_assignee_id === users.items[0].id && saved.step_results === true, `assignee/steps saved: ${JSON.stringify(saved)}`);
    assert((await page.locator('[data-testid=tr-fields-missing]').count()) === 0, 'missing warning still shown after saving');
    await shot(page, '40-testrail-result-fields');

    // Milestone picker: sub-milestones listed, completed hidden until asked; saving picks it.
    await page.waitForSelector('[data-testid=tr-milestone] option >> nth=1', { state: 'attached' });
    const open = await restOk('GET', `/projects/${P}/testrail/remote/milestones`);
    const all = await restOk('GET', `/projects/${P}/testrail/remote/milestones?include_completed=1`);
    assert(all.items.length > open.items.length, `completed milestones are not hidden: ${open.items.length} of ${all.items.length}`);
    const countOptions = () => page.locator('[data-testid=tr-milestone] option').count();
    assert((await countOptions()) === open.items.length + 1, 'the picker lists the open milestones');
    await page.check('[data-testid=tr-milestone-completed]');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=tr-milestone] option').length === n, all.items.length + 1);
    const pick = open.items[open.items.length - 1];
    await page.selectOption('[data-testid=tr-milestone]', String(pick.id));
    await page.click('[data-testid=tr-options] .btn-primary');
    await page.waitForSelector('[data-testid=tr-options] .ok-text');
    const opts = (await restOk('GET', `/projects/${P}/testrail`)).options;
    assert(opts.milestone_id === pick.id, `milestone saved: ${JSON.stringify(opts)}`);
    await shot(page, '41-testrail-milestone-picker');

    // Another project's milestone is refused by the API, before any write.
    const other = await simGet('get_milestones/2');
    const otherId = (Array.isArray(other) ? other : other.milestones)[0].id;
    const foreign = await rest('POST', `/projects/${P}/testrail/exports`, { run_id: run.id, milestone_id: otherId });
    assert(foreign.status === 400 && foreign.json.error.code === 'unknown_milestone', `foreign milestone: ${foreign.status} ${JSON.stringify(foreign.json)}`);

    // With the values: the export succeeds and the results carry them.
    const done = await restOk('POST', `/projects/${P}/testrail/exports`, { run_id: run.id });
    assert(done.state === 'succeeded', `export: ${JSON.stringify(done)}`);
    const res = await simGet(`get_results_for_run/${done.testrail_run_id}`);
    const list = Array.isArray(res) ? res : res.results;
    assert(list.length === 2 && list.every((r) => r[env.system_name] === prod.id && r[tag.system_name] === '7.1.0'), `results: ${JSON.stringify(list)}`);
    // A 0.4 s run is sent as "1s", never "0s" (which TestRail refuses).
    assert(list.every((r) => r.elapsed === '1s'), `elapsed of a 0.4 s run: ${JSON.stringify(list.map((r) => r.elapsed))}`);
    const trRun = await simGet(`get_run/${done.testrail_run_id}`);
    assert(trRun.milestone_id === pick.id, `run milestone ${trRun.milestone_id}, want ${pick.id}`);
    results.passed++;
    console.log(`PASS ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.failed++;
    console.log(`FAIL ${name}: ${e.stack || e}`);
    try {
      if (page) await shot(page, 'fail-testrail-fields');
    } catch { /* ignore */ }
  } finally {
    if (page) await page.context().close();
  }
}
