// Drives the third-party npm client `testrail-api` through a full upload flow against a
// running testrail-sim and asserts the outcomes. Usage: node flow.js BASE_URL USER KEY
'use strict';

const assert = require('assert');
const TestRail = require('testrail-api');

async function main() {
  const [host, user, password] = process.argv.slice(2);
  const api = new TestRail({ host, user, password });

  const projects = (await api.getProjects()).body;
  assert.ok(Array.isArray(projects.projects), 'get_projects is paginated');
  const project = projects.projects.find((p) => p.suite_mode === 3);
  assert.ok(project, 'a multi-suite project exists');

  const suites = (await api.getSuites(project.id)).body;
  assert.ok(Array.isArray(suites) && suites.length >= 2, 'get_suites returns the suites');
  const suite = suites[0];

  // All cases of the suite, following _links.next like a careful client.
  const cases = [];
  let page = (await api.getCases(project.id, { suite_id: suite.id })).body;
  cases.push(...page.cases);
  while (page._links.next) {
    const offset = Number(/offset=(\d+)/.exec(page._links.next)[1]);
    page = (await api.getCases(project.id, { suite_id: suite.id, offset })).body;
    cases.push(...page.cases);
  }
  assert.strictEqual(cases.length, 300, 'all 300 cases listed');
  assert.strictEqual(new Set(cases.map((c) => c.id)).size, 300, 'no duplicates');

  // Missing suite_id is rejected with TestRail's text.
  await assert.rejects(api.getCases(project.id), (err) => {
    assert.strictEqual(err.message.error, 'Field :suite_id is a required field.');
    assert.strictEqual(err.response.statusCode, 400);
    return true;
  });

  const picked = cases.slice(0, 60).map((c) => c.id);
  const run = (await api.addRun(project.id, {
    suite_id: suite.id, name: 'node testrail-api flow', include_all: false, case_ids: picked,
  })).body;
  assert.strictEqual(run.untested_count, 60);

  const results = picked.map((id, i) => ({
    case_id: id, status_id: i % 6 === 0 ? 5 : 1, comment: `from node #${i}`, elapsed: '1m 5s',
  }));
  const added = (await api.addResultsForCases(run.id, results)).body;
  assert.strictEqual(added.length, 60);
  const tests = (await api.getTests(run.id)).body.tests;
  const caseOfTest = new Map(tests.map((t) => [t.id, t.case_id]));
  added.forEach((r, i) => assert.strictEqual(caseOfTest.get(r.test_id), picked[i], 'request order'));

  const refreshed = (await api.getRun(run.id)).body;
  assert.strictEqual(refreshed.failed_count, 10);
  assert.strictEqual(refreshed.passed_count, 50);

  const closed = (await api.closeRun(run.id)).body;
  assert.strictEqual(closed.is_completed, true);
  await assert.rejects(api.addResultsForCases(run.id, results.slice(0, 1)), (err) => {
    assert.strictEqual(err.message.error,
      'This operation is not allowed. The test run is already completed.');
    return true;
  });
  await companyInstanceFlow(api);
  console.log('node testrail-api flow: 2 passed, 0 failed');
}

// Issue 14: a required dropdown result field (project 2 only), a Platform configuration
// group, milestones and plan entries with one run per configuration.
async function companyInstanceFlow(api) {
  const projectId = 2;
  const fields = (await api.getResultFields()).body;
  const env = fields.find((f) => f.system_name === 'custom_env');
  assert.ok(env, 'custom_env is listed');
  assert.strictEqual(env.type_id, 6);
  assert.deepStrictEqual(env.configs[0].context.project_ids, [projectId]);
  assert.strictEqual(env.configs[0].options.is_required, true);
  assert.strictEqual(env.configs[0].options.items, '1, Staging\n2, Prod');
  assert.strictEqual((await api.getTemplates(projectId)).body.length, 3);

  const groups = (await api.getConfigs(projectId)).body;
  assert.strictEqual(groups.length, 1);
  assert.strictEqual(groups[0].name, 'Platform');
  const byName = Object.fromEntries(groups[0].configs.map((c) => [c.name, c.id]));
  const xbox = (await api.addConfig(groups[0].id, { name: 'Xbox' })).body;
  assert.strictEqual(xbox.group_id, groups[0].id);

  const milestones = (await api.getMilestones(projectId)).body;
  assert.strictEqual(milestones.milestones.length, 1, 'one release, its sprint nested');
  const sprint = milestones.milestones[0].milestones[0];
  assert.strictEqual(sprint.parent_id, milestones.milestones[0].id);
  const added = (await api.addMilestone(projectId, { name: 'Node release' })).body;
  assert.strictEqual(added.project_id, projectId);
  const foreign = (await api.getMilestones(1)).body.milestones[0].id;
  await assert.rejects(api.addRun(projectId, { name: 'x', milestone_id: foreign }), (err) => {
    assert.strictEqual(err.message.error, 'Field :milestone_id is not a valid milestone.');
    return true;
  });

  const caseIds = (await api.getCases(projectId)).body.cases.slice(0, 3).map((c) => c.id);
  const plan = (await api.addPlan(projectId, {
    name: 'node plan', milestone_id: sprint.id,
    entries: [{
      include_all: false, case_ids: caseIds, config_ids: [byName.PC, byName.PS5],
      runs: [{ config_ids: [byName.PC] }, { config_ids: [byName.PS5] }],
    }],
  })).body;
  const entry = plan.entries[0];
  assert.deepStrictEqual(entry.runs.map((r) => r.config), ['PC', 'PS5']);
  const pcRun = entry.runs[0];
  assert.strictEqual(pcRun.milestone_id, sprint.id);

  const result = { case_id: caseIds[0], status_id: 1, elapsed: '3s' };
  await assert.rejects(api.addResultsForCases(pcRun.id, [result]), (err) => {
    assert.strictEqual(err.message.error, 'Field :custom_env is a required field.');
    return true;
  });
  await assert.rejects(api.addResultsForCases(pcRun.id, [{ ...result, custom_env: 2, elapsed: '0s' }]),
    (err) => {
      assert.strictEqual(err.message.error,
        'Field :results.elapsed is not in a valid time span format.');
      return true;
    });
  const ok = (await api.addResultsForCases(pcRun.id, [{ ...result, custom_env: 2 }])).body;
  assert.strictEqual(ok[0].custom_env, 2);
  assert.strictEqual((await api.getRun(pcRun.id)).body.passed_count, 1);
  assert.strictEqual((await api.getRun(entry.runs[1].id)).body.passed_count, 0);

  const second = (await api.addPlanEntry(plan.id, {
    config_ids: [xbox.id], runs: [{ config_ids: [xbox.id] }],
  })).body;
  assert.strictEqual(second.runs[0].config, 'Xbox');
  const renamed = (await api.updatePlanEntry(plan.id, entry.id, { name: 'renamed' })).body;
  assert.deepStrictEqual(renamed.runs.map((r) => r.name), ['renamed', 'renamed']);

  assert.strictEqual((await api.getUserByEmail('admin@example.com')).body.id, 1);
  const closed = (await api.closePlan(plan.id)).body;
  assert.strictEqual(closed.is_completed, true);
  assert.strictEqual(closed.entries.length, 2);
}

main().catch((err) => {
  console.error('node testrail-api flow failed:', err && (err.stack || JSON.stringify(err.message || err)));
  process.exit(1);
});
