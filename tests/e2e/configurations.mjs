// e2e (issue 14, R-CONFIGS): TestRail configurations. Its own simulator with a `Platform`
// configuration group (PC, PS5, Xbox) and its own Nexus project. Through the UI: the
// configuration mapping on Configs → TestRail (pick the group for the `platform` attribute,
// map values by name, save) and the run page's preview showing the configuration run; through
// the API and the simulator: a plan of runs on PC and PS5 lands in ONE plan with one run per
// configuration and each result in the run of its configuration; a run on an unmapped
// platform is skipped with a reason.
export async function run(ctx) {
  const { start, simBin, rest, restOk, newPage, login, ADMIN, shot, assert, expectText, BASE, results } = ctx;
  const name = 'TestRail configurations: attribute → configuration mapping, one plan run per configuration (issue 14)';
  const t0 = Date.now();
  let page;
  try {
    const simUrl = await start(simBin, ['--listen', '127.0.0.1:0', '--generate', 'projects=1,suites=1,cases=10', '--configs', 'Platform=PC|PS5|Xbox']);
    const auth = 'Basic ' + Buffer.from('admin@example.com:nexus-sim-demo-api-key-0001').toString('base64');
    const simGet = async (endpoint) => {
      const r = await fetch(`${simUrl}/index.php?/api/v2/${endpoint}`, { headers: { Authorization: auth } });
      return r.json();
    };
    const project = await restOk('POST', '/projects', { name: 'Consoles' });
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
    const test = await restOk('POST', `/projects/${P}/tests`, { name: 'Boot to menu', steps: [{ goal: 'Boot', expected_results: ['Menu shows'] }] });
    await restOk('PUT', `/projects/${P}/tests/${test.id}/testrail-links`, { case_ids: [cases[0].id, cases[1].id] });
    const mkRun = (platform, result, label) =>
      restOk('POST', `/projects/${P}/runs`, {
        test_id: test.id, result, bug_label: label, attributes: { platform },
        started_at: '2026-01-01T10:00:00Z', finished_at: '2026-01-01T10:00:05Z', build: '7.1.0',
      });
    const pc = await mkRun('PC', 'Success', 'NoBug');
    const ps5 = await mkRun('PS5', 'Stopped', 'DefinitelyBug');
    const android = await mkRun('Android', 'Success', 'NoBug');
    const groups = (await restOk('GET', `/projects/${P}/testrail/remote/configs`)).items;
    const platform = groups.find((g) => g.name === 'Platform');
    assert(platform && platform.configs.length === 3, `config groups: ${JSON.stringify(groups)}`);
    const idOf = (n) => platform.configs.find((c) => c.name === n).id;

    // The UI: map the `platform` attribute to the Platform group, values by name.
    page = await newPage();
    await login(page, ADMIN);
    await page.goto(`${BASE}/#/projects/${P}/configs/testrail`);
    await page.waitForSelector('[data-testid=tr-configs-add]:not([disabled])');
    await page.click('[data-testid=tr-configs-add]');
    await page.fill('[data-testid=config-attr-name-0]', 'platform');
    await page.selectOption('[data-testid=config-attr-group-0]', String(platform.id));
    await page.click('[data-testid=config-suggest-0]');
    await page.click('[data-testid=tr-configs-save]');
    await page.waitForSelector('[data-testid=tr-configs] .ok-text');
    const saved = await restOk('GET', `/projects/${P}/testrail/configurations`);
    const attr = saved.attributes[0];
    assert(attr && attr.attribute === 'platform' && attr.group_id === platform.id, `mapping saved: ${JSON.stringify(saved)}`);
    const mapped = Object.fromEntries(attr.values.map((v) => [v.value, v.config_id]));
    assert(mapped.PC === idOf('PC') && mapped.PS5 === idOf('PS5') && mapped.Xbox === idOf('Xbox'), `values by name: ${JSON.stringify(attr.values)}`);
    // "Android" is seen on a run and has no config of that name: offered without a suggestion.
    assert(attr.suggestions.some((s) => s.value === 'Android' && s.config_id === null), `suggestions: ${JSON.stringify(attr.suggestions)}`);
    await shot(page, '45-testrail-configurations');

    // Unknown config ids are refused, naming them.
    const bad = await rest('PUT', `/projects/${P}/testrail/configurations`, { attributes: [{ attribute: 'platform', group_id: platform.id, values: { PC: 987654 } }] });
    assert(bad.status === 400 && bad.json.error.code === 'unknown_config' && /987654/.test(bad.json.error.message), `bad mapping: ${bad.status} ${JSON.stringify(bad.json)}`);

    // The run page's preview shows the configuration run.
    await page.goto(`${BASE}/#/projects/${P}/runs/${ps5.id}`);
    await page.click('[data-testid=preview-export]');
    await expectText(page.locator('[data-testid=preview-config]').first(), /platform=PS5/, 'preview shows the configuration run');
    await shot(page, '46-testrail-configuration-preview');

    // PC + PS5 (+ an unmapped Android run): one plan, one run per configuration.
    const done = await restOk('POST', `/projects/${P}/testrail/exports`, { run_ids: [pc.id, ps5.id, android.id] });
    assert(done.state === 'succeeded' && done.testrail_plan_id, `export: ${JSON.stringify(done)}`);
    assert(done.warnings.some((w) => w.type === 'run_configuration_unmapped' && w.run_id === android.id), `android skipped: ${JSON.stringify(done.warnings)}`);
    const plans = await simGet('get_plans/1');
    assert((Array.isArray(plans) ? plans : plans.plans).length === 1, 'exactly one plan');
    const plan = await simGet(`get_plan/${done.testrail_plan_id}`);
    assert(plan.entries.length === 1 && plan.entries[0].runs.length === 2, `plan entries: ${JSON.stringify(plan.entries)}`);
    for (const r of plan.entries[0].runs) {
      const want = r.config_ids[0] === idOf('PC') ? 1 : r.config_ids[0] === idOf('PS5') ? 5 : -1;
      assert(r.config_ids.length === 1 && want !== -1, `run configs: ${JSON.stringify(r.config_ids)}`);
      const res = await simGet(`get_results_for_run/${r.id}`);
      const list = Array.isArray(res) ? res : res.results;
      assert(list.length === 2 && list.every((x) => x.status_id === want), `results of the ${want === 1 ? 'PC' : 'PS5'} run: ${JSON.stringify(list)}`);
    }
    results.passed++;
    console.log(`PASS ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.failed++;
    console.log(`FAIL ${name}: ${e.stack || e}`);
    try {
      if (page) await shot(page, 'fail-testrail-configurations');
    } catch { /* ignore */ }
  } finally {
    if (page) await page.context().close();
  }
}
