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
  console.log('node testrail-api flow: 1 passed, 0 failed');
}

main().catch((err) => {
  console.error('node testrail-api flow failed:', err && (err.stack || JSON.stringify(err.message || err)));
  process.exit(1);
});
