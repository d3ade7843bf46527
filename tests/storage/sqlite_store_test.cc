// SQLite-specific storage tests: migrations on fresh and older databases, persistence across
// reopen, connection settings and the --db URL forms of OpenStore.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "storage/migrations.h"
#include "storage/sqlite_store.h"
#include "temp_dir.h"

namespace nexus {
namespace {

#define ASSERT_OK(expr)                                        \
  do {                                                         \
    const auto& _r = (expr);                                   \
    ASSERT_TRUE(StatusOf(_r).ok()) << StatusOf(_r).ToString(); \
  } while (0)

const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

int LatestVersion() { return EmbeddedMigrations().back().version; }

// Raw read of one integer/text through a separate sqlite3 connection.
std::string QueryText(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  std::string out;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != nullptr)
    out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return out;
}

// Raw write through a separate sqlite3 connection (a row as an older build left it).
void ExecSql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
}

// A user and a project owned by them, for tests that need a project row; 0 on failure.
int64_t SeedProject(Store& store, const std::string& name) {
  User u;
  u.email = name + "@example.com";
  auto user = store.CreateUser(u);
  EXPECT_TRUE(user.ok());
  if (!user.ok()) return 0;
  Project p;
  p.name = name;
  auto project = store.CreateProject(p, user->id);
  EXPECT_TRUE(project.ok());
  return project.ok() ? project->id : 0;
}

// Numbers run 1, 2, 3… without gaps (src/storage/CMakeLists.txt refuses a gap too); a
// migration creates or alters (0009 only adds columns) on at least one backend (0014 only on
// PostgreSQL).
TEST(MigrationsTest, EmbeddedAreNumberedInIncreasingOrder) {
  const auto& all = EmbeddedMigrations();
  ASSERT_GE(all.size(), 2u);
  EXPECT_EQ(all[0].version, 1);
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].version, static_cast<int>(i) + 1) << "migrations are numbered without gaps";
    EXPECT_FALSE(all[i].name.empty());
    auto changes = [](std::string_view sql) {
      return sql.find("CREATE") != std::string_view::npos ||
             sql.find("ALTER") != std::string_view::npos;
    };
    EXPECT_TRUE(changes(all[i].sql) || changes(all[i].pg_sql)) << all[i].name;
  }
  EXPECT_EQ(all[0].name, "init");
}

TEST(SqliteStoreTest, FreshDatabaseMigratesToLatest) {
  testing::TempDir dir;
  auto store = SqliteStore::Open(dir.File("fresh.db"));
  ASSERT_OK(store);
  EXPECT_EQ(*(*store)->SchemaVersion(), 0);
  ASSERT_OK((*store)->Migrate());
  EXPECT_EQ(*(*store)->SchemaVersion(), LatestVersion());
  const std::string applied = std::to_string(EmbeddedMigrations().size());  // gaps allowed
  EXPECT_EQ(QueryText(dir.File("fresh.db"), "SELECT COUNT(*) FROM schema_migrations"), applied);
  ASSERT_OK((*store)->Migrate());  // a no-op the second time
  EXPECT_EQ(QueryText(dir.File("fresh.db"), "SELECT COUNT(*) FROM schema_migrations"), applied);
}

TEST(SqliteStoreTest, OlderDatabaseUpgradesWithoutLosingData) {
  testing::TempDir dir;
  const std::string path = dir.File("old.db");
  int64_t user_id = 0, project_id = 0, test_id = 0, run_id = 0;
  {
    auto store = SqliteStore::Open(path);
    ASSERT_OK(store);
    ASSERT_OK((*store)->MigrateTo(1));
    EXPECT_EQ(*(*store)->SchemaVersion(), 1);
    User u;
    u.email = "old@example.com";
    auto user = (*store)->CreateUser(u);
    ASSERT_OK(user);
    user_id = user->id;
    Project p;
    p.name = "Old project";
    p.features = {"testrail"};
    auto project = (*store)->CreateProject(p, user_id);
    ASSERT_OK(project);
    project_id = project->id;
    nexus::Test t;
    t.project_id = project_id;
    t.name = "Old test";
    t.steps = {Step{"st_1", "do it", {"it is done"}}};
    auto test = (*store)->CreateTest(t);
    ASSERT_OK(test);
    test_id = test->id;
    // The run is written with the columns of schema version 1 (today's CreateRun writes
    // columns later migrations added).
    ExecSql(path,
            "INSERT INTO runs (project_id, test_id, test_version, result, bug_label, started_at, "
            "build, summary, bugs_json, steps_json, created_at, updated_at) VALUES (" +
                std::to_string(project_id) + ", " + std::to_string(test_id) +
                ", 1, 'Error', 'Undecided', 0, '', '', '[]', '[]', 0, 0)");
    run_id = std::stoll(QueryText(path, "SELECT MAX(id) FROM runs"));
  }
  EXPECT_EQ(QueryText(path, "SELECT name FROM sqlite_master WHERE name = 'runs_project_test_idx'"),
            "");
  auto store = SqliteStore::Open(path);
  ASSERT_OK(store);
  ASSERT_OK((*store)->Migrate());
  EXPECT_EQ(*(*store)->SchemaVersion(), LatestVersion());
  EXPECT_EQ(QueryText(path, "SELECT name FROM sqlite_master WHERE name = 'runs_project_test_idx'"),
            "runs_project_test_idx");
  EXPECT_EQ((*store)->GetUser(user_id)->email, "old@example.com");
  auto project = (*store)->GetProject(project_id);
  ASSERT_OK(project);
  EXPECT_TRUE(project->HasFeature("testrail"));
  auto test = (*store)->GetTest(project_id, test_id);
  ASSERT_OK(test);
  ASSERT_EQ(test->steps.size(), 1u);
  EXPECT_EQ(test->steps[0].expected_results, std::vector<std::string>{"it is done"});
  auto runs = (*store)->ListRuns(
      project_id, RunFilter{test_id, std::nullopt, RunResult::kError, std::nullopt}, PageRequest{});
  ASSERT_OK(runs);
  ASSERT_EQ(runs->size(), 1u);
  EXPECT_EQ((*runs)[0].id, run_id);
  EXPECT_TRUE((*runs)[0].attributes.empty());  // 0007 gave old runs no attributes
}

// Migration 0006: an export planned before it (its whole plan one JSON snapshot) keeps its
// results, now as rows, and its snapshot keeps only the head.
TEST(SqliteStoreTest, LegacyExportSnapshotBecomesPlanRows) {
  testing::TempDir dir;
  const std::string path = dir.File("legacy.db");
  int64_t project_id = 0;
  {
    auto store = SqliteStore::Open(path);
    ASSERT_OK(store);
    ASSERT_OK((*store)->MigrateTo(5));
    project_id = SeedProject(**store, "legacy");
    ASSERT_NE(project_id, 0);
  }
  const std::string legacy =
      R"({"export_type":"multiple_runs","strategy":"multi_suite_plan","name":"N","description":"D",)"
      R"("milestone_id":null,"skipped":[],"warnings":[],"runs_processed":2,"total_test_cases":3,)"
      R"("nothing_to_send":false,"nothing_to_send_reason":"","entries":[)"
      R"({"suite_id":11,"results":[{"case_id":5,"status_id":1,"comment":"ok","elapsed":"5s",)"
      R"("version":"1.0","run_ids":[3,4]},{"case_id":7,"status_id":5,"comment":"it's \"bad\"",)"
      R"("elapsed":"","version":"","run_ids":[4]}]},)"
      R"({"suite_id":12,"results":[{"case_id":9,"status_id":2,"comment":"","elapsed":"1m 2s",)"
      R"("version":"2","run_ids":[3]}]}]})";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "INSERT INTO exports (project_id, trigger_kind, source_kind, "
                                 "source_ids, source_key, options, state, nonce, plan_json, "
                                 "created_at, updated_at) VALUES (?1, 'manual', 'multiple_runs', "
                                 "'[3,4]', 'runs:3,4', '{}', 'running', 'n', ?2, 1, 1)",
                                 -1, &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_int64(st, 1, project_id);
    sqlite3_bind_text(st, 2, legacy.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  auto store = SqliteStore::Open(path);
  ASSERT_OK(store);
  ASSERT_OK((*store)->Migrate());
  EXPECT_EQ(QueryText(path, "SELECT COUNT(*) FROM export_plan_results"), "3");
  EXPECT_EQ(QueryText(path, "SELECT json_valid(plan_json) FROM exports"), "1");
  auto active = (*store)->ListActiveExports();
  ASSERT_OK(active);
  ASSERT_EQ(active->size(), 1u);
  const int64_t export_id = (*active)[0];
  std::vector<std::pair<int, PlannedResult>> rows;
  ASSERT_OK((*store)->ForEachPlannedResult(export_id, [&](int entry, PlannedResult& r) {
    rows.emplace_back(entry, std::move(r));
    return Status::Ok();
  }));
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].first, 0);
  EXPECT_EQ(rows[0].second.case_id, 5);
  EXPECT_EQ(rows[0].second.comment, "ok");
  EXPECT_EQ(rows[0].second.elapsed, "5s");
  EXPECT_EQ(rows[0].second.version, "1.0");
  EXPECT_EQ(rows[0].second.run_ids, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(rows[1].second.case_id, 7);
  EXPECT_EQ(rows[1].second.status_id, 5);
  EXPECT_EQ(rows[1].second.comment, "it's \"bad\"");
  EXPECT_EQ(rows[2].first, 1);
  EXPECT_EQ(rows[2].second.case_id, 9);
  EXPECT_EQ(rows[2].second.run_ids, (std::vector<int64_t>{3}));
  EXPECT_EQ(*(*store)->PlannedCasesForRun(export_id, 3), (std::vector<int64_t>{5, 9}));
  auto rec = (*store)->GetExport(project_id, export_id, true);
  ASSERT_OK(rec);
  const std::string head = QueryText(path, "SELECT plan_json FROM exports");
  EXPECT_EQ(head.find("results"), std::string::npos) << head;
  EXPECT_NE(head.find(R"("entries":[{"suite_id":11},{"suite_id":12}])"), std::string::npos) << head;
  EXPECT_NE(head.find(R"("name":"N")"), std::string::npos);
  ASSERT_TRUE(rec->plan.has_value()) << rec->plan_error;
  ASSERT_EQ(rec->plan->plan.entries.size(), 2u);
  EXPECT_EQ(rec->plan->plan.entries[0].suite_id, 11);
  EXPECT_EQ(rec->plan->plan.entries[1].suite_id, 12);
  EXPECT_TRUE(rec->plan->plan.entries[0].results.empty());
  EXPECT_EQ(rec->plan->plan.name, "N");
  EXPECT_EQ(rec->plan->plan.total_test_cases, 3);
}

// Fencing (R-Q-IDEMP): once an export is at attempt N, a process still running an older
// attempt can neither update it nor journal a step; nothing of what it tried is stored.
TEST(SqliteStoreTest, ExportWritesOfASupersededAttemptAreRefused) {
  auto store = SqliteStore::Open(":memory:");
  ASSERT_OK(store);
  ASSERT_OK((*store)->Migrate());
  const int64_t project_id = SeedProject(**store, "fence");
  ASSERT_NE(project_id, 0);
  ExportRecord rec;
  rec.project_id = project_id;
  rec.trigger = ExportTrigger::kManual;
  rec.source_kind = ExportSourceKind::kSingleRun;
  rec.source_ids = {1};
  rec.source_key = "runs:1";
  rec.state = ExportState::kQueued;
  rec.nonce = "n";
  auto created = (*store)->CreateExport(rec, {});
  ASSERT_OK(created);

  ExportRecord first = *created;  // attempt 1 starts
  first.state = ExportState::kRunning;
  first.attempts = 1;
  ASSERT_OK((*store)->UpdateExport(first));
  ExportRecord second = first;  // attempt 2 takes over
  second.attempts = 2;
  ASSERT_OK((*store)->UpdateExport(second));

  first.state = ExportState::kSucceeded;
  Status stale = (*store)->UpdateExport(first);
  EXPECT_EQ(stale.code(), StatusCode::kConflict);
  EXPECT_EQ(stale.reason(), "superseded");
  EXPECT_EQ((*store)->GetExport(project_id, created->id, false)->state, ExportState::kRunning);

  ExportStep step;
  step.export_id = created->id;
  step.kind = ExportStepKind::kBatchDone;
  step.case_ids = {7};
  step.landed = {{7, 1}};
  step.attempt = 1;
  EXPECT_EQ((*store)->AppendExportStep(step).status().reason(), "superseded");
  EXPECT_TRUE((*store)->ListExportSteps(created->id)->empty());
  EXPECT_TRUE((*store)->ExportCases(created->id)->empty());
  step.attempt = 2;
  ASSERT_OK((*store)->AppendExportStep(step));
  step.attempt = 0;  // unfenced
  ASSERT_OK((*store)->AppendExportStep(step));
  EXPECT_EQ((*store)->ListExportSteps(created->id)->size(), 2u);
  ExportRecord missing = second;
  missing.id = created->id + 100;
  EXPECT_EQ((*store)->UpdateExport(missing).code(), StatusCode::kNotFound);
}

// The typed export record and journal are stored in the text forms rows have always had
// (no migration), and those texts read back as the same values.
TEST(SqliteStoreTest, ExportRecordsKeepTheirStoredTextForms) {
  testing::TempDir dir;
  const std::string path = dir.File("forms.db");
  auto store = SqliteStore::Open(path);
  ASSERT_OK(store);
  ASSERT_OK((*store)->Migrate());
  const int64_t project_id = SeedProject(**store, "forms");
  ExportRecord rec;
  rec.project_id = project_id;
  rec.trigger = ExportTrigger::kAuto;
  rec.source_kind = ExportSourceKind::kTestPlan;
  rec.source_ids = {5};
  rec.source_key = "execution:5";
  rec.options.close_run_on_completion = false;
  rec.options.testrail_project_id = 3;
  rec.options.custom_run_name = "Nightly";
  rec.nonce = "n";
  rec.strategy = ExportStrategy::kMultiSuitePlan;
  rec.skipped = {{7, "case_deleted", "C7 was deleted in TestRail"}};
  rec.warnings = {{"run_not_finished", "run #4 has not finished", 4},
                  {"no_public_url", "no public URL", std::nullopt}};
  auto created = (*store)->CreateExport(rec, {});
  ASSERT_OK(created);
  const std::string where = " FROM exports WHERE id = " + std::to_string(created->id);
  EXPECT_EQ(QueryText(path,
                      "SELECT trigger_kind || ' ' || source_kind || ' ' || state || ' ' || "
                      "strategy" +
                          where),
            "auto test_plan queued multi_suite_plan");
  EXPECT_EQ(QueryText(path, "SELECT options" + where),
            R"({"close_run_on_completion":false,"custom_run_name":"Nightly",)"
            R"("force_new_run":true,"testrail_project_id":3})");
  EXPECT_EQ(QueryText(path, "SELECT skipped_json" + where),
            R"([{"case_id":7,"message":"C7 was deleted in TestRail","reason":"case_deleted"}])");
  EXPECT_EQ(QueryText(path, "SELECT warnings_json" + where),
            R"([{"message":"run #4 has not finished","run_id":4,"type":"run_not_finished"},)"
            R"({"message":"no public URL","type":"no_public_url"}])");

  auto back = (*store)->GetExport(project_id, created->id, false);
  ASSERT_OK(back);
  EXPECT_EQ(back->trigger, ExportTrigger::kAuto);
  EXPECT_EQ(back->source_kind, ExportSourceKind::kTestPlan);
  EXPECT_EQ(back->state, ExportState::kQueued);
  EXPECT_EQ(back->strategy, std::optional<ExportStrategy>(ExportStrategy::kMultiSuitePlan));
  EXPECT_FALSE(back->options.close_run_on_completion);
  EXPECT_TRUE(back->options.force_new_run);
  EXPECT_EQ(back->options.testrail_project_id, 3);
  EXPECT_EQ(back->options.custom_run_name, std::optional<std::string>("Nightly"));
  ASSERT_EQ(back->skipped.size(), 1u);
  EXPECT_EQ(back->skipped[0].case_id, 7);
  EXPECT_EQ(back->skipped[0].reason, "case_deleted");
  ASSERT_EQ(back->warnings.size(), 2u);
  EXPECT_EQ(back->warnings[0].run_id, std::optional<int64_t>(4));
  EXPECT_FALSE(back->warnings[1].run_id.has_value());

  ExportStep done;
  done.export_id = created->id;
  done.kind = ExportStepKind::kCreateDone;
  done.remote_id = 9;
  done.detail.runs = {10, 11};
  done.detail.url = "https://x/plans/9";
  done.detail.name = "N";
  ASSERT_OK((*store)->AppendExportStep(done));
  ExportStep skipped;
  skipped.export_id = created->id;
  skipped.kind = ExportStepKind::kCaseSkipped;
  skipped.entry_index = 1;
  skipped.case_ids = {7};
  skipped.detail.message = "gone";
  ASSERT_OK((*store)->AppendExportStep(skipped));
  ExportStep intent;
  intent.export_id = created->id;
  intent.kind = ExportStepKind::kBatchIntent;
  ASSERT_OK((*store)->AppendExportStep(intent));
  EXPECT_EQ(QueryText(path, "SELECT group_concat(kind || ' ' || detail, ' | ') FROM export_steps"),
            R"(create_done {"name":"N","runs":[10,11],"url":"https://x/plans/9"} | )"
            R"(case_skipped {"message":"gone"} | batch_intent {})");
  auto steps = (*store)->ListExportSteps(created->id);
  ASSERT_OK(steps);
  ASSERT_EQ(steps->size(), 3u);
  EXPECT_EQ((*steps)[0].kind, ExportStepKind::kCreateDone);
  EXPECT_EQ((*steps)[0].detail.runs, (std::vector<int64_t>{10, 11}));
  EXPECT_EQ((*steps)[0].detail.url, "https://x/plans/9");
  EXPECT_EQ((*steps)[0].detail.name, "N");
  EXPECT_EQ((*steps)[1].kind, ExportStepKind::kCaseSkipped);
  EXPECT_EQ((*steps)[1].detail.message, "gone");
  EXPECT_EQ((*steps)[2].kind, ExportStepKind::kBatchIntent);
}

// The typed statuses and mapping are stored as the same JSON text as before they were
// typed (no migration), rows written before load identically, and a damaged value is
// flagged unreadable without hiding the rest of the configuration.
TEST(SqliteStoreTest, TestRailConfigKeepsItsStoredTextForms) {
  testing::TempDir dir;
  const std::string path = dir.File("trconfig.db");
  auto store = SqliteStore::Open(path);
  ASSERT_OK(store);
  ASSERT_OK((*store)->Migrate());
  const int64_t project_id = SeedProject(**store, "trconfig");
  const std::string where =
      " FROM testrail_configs WHERE project_id = " + std::to_string(project_id);
  const std::vector<TestRailStatusRecord> statuses = {
      {1, "passed", "Passed", 12709313, 8712207, 6667107, true, false, true},
      {6, "custom_status1", "Needs \"care\" ✓", 0, 16777215, 1, false, false, false}};
  const std::string statuses_text =
      R"([{"color_bright":12709313,"color_dark":6667107,"color_medium":8712207,"id":1,)"
      R"("is_final":true,"is_system":true,"is_untested":false,"label":"Passed","name":"passed"},)"
      R"({"color_bright":0,"color_dark":1,"color_medium":16777215,"id":6,"is_final":false,)"
      R"("is_system":false,"is_untested":false,"label":"Needs \"care\" ✓",)"
      R"("name":"custom_status1"}])";
  ASSERT_OK((*store)->SaveTestRailStatuses(project_id, statuses, 77));
  EXPECT_EQ(QueryText(path, "SELECT statuses_json" + where), statuses_text);

  StatusMapping mapping = StatusMapping::Defaults();
  mapping.mode = StatusMapping::Mode::kAdvanced;
  mapping.basic[BugLabel::kNoBug] = 7;
  mapping.basic[BugLabel::kUndecided] = std::nullopt;
  const std::string table = R"({"DefinitelyBug":5,"LikelyBug":5,"LikelyNoBug":1,"NoBug":1,)"
                            R"("Undecided":4})";
  const std::string mapping_text =
      R"({"advanced":{"Error":{"DefinitelyBug":null,"LikelyBug":null,"LikelyNoBug":null,)"
      R"("NoBug":null,"Undecided":null},"MaxSteps":)" +
      table + R"(,"Stopped":)" + table + R"(,"Success":)" + table +
      R"(},"basic":{"DefinitelyBug":5,"LikelyBug":5,"LikelyNoBug":1,"NoBug":7,)"
      R"("Undecided":null},"mode":"advanced"})";
  ASSERT_OK((*store)->SaveTestRailMapping(project_id, mapping, 78));
  EXPECT_EQ(QueryText(path, "SELECT mapping_json" + where), mapping_text);

  auto back = (*store)->GetTestRailConfig(project_id);
  ASSERT_OK(back);
  EXPECT_EQ(back->statuses, std::optional(statuses));
  EXPECT_EQ(back->mapping, std::optional(mapping));
  EXPECT_FALSE(back->statuses_unreadable);
  EXPECT_FALSE(back->mapping_unreadable);

  // Rows written by older builds: the same text reads as the same records; absent or null
  // members of a status read as their defaults.
  const std::string row = " WHERE project_id = " + std::to_string(project_id);
  ExecSql(path, R"(UPDATE testrail_configs SET statuses_json = '[{"id":3,"name":null}]')" + row);
  back = (*store)->GetTestRailConfig(project_id);
  ASSERT_OK(back);
  ASSERT_TRUE(back->statuses.has_value());
  EXPECT_EQ(*back->statuses, (std::vector<TestRailStatusRecord>{{3, "", ""}}));

  // Damaged values: flagged, the rest of the configuration still loads.
  for (const char* bad : {"not json", "{}", R"([{"name":"no id"}])", R"([{"id":1,"name":2}])"}) {
    ExecSql(path, "UPDATE testrail_configs SET statuses_json = '" + std::string(bad) + "'" + row);
    back = (*store)->GetTestRailConfig(project_id);
    ASSERT_OK(back);
    EXPECT_TRUE(back->statuses_unreadable) << bad;
    EXPECT_FALSE(back->statuses.has_value()) << bad;
    EXPECT_EQ(back->mapping, std::optional(mapping));
  }
  for (const char* bad : {"[]", R"({"mode":"basic"})", R"({"m":1})", "{"}) {
    ExecSql(path, "UPDATE testrail_configs SET mapping_json = '" + std::string(bad) + "'" + row);
    back = (*store)->GetTestRailConfig(project_id);
    ASSERT_OK(back);
    EXPECT_TRUE(back->mapping_unreadable) << bad;
    EXPECT_FALSE(back->mapping.has_value()) << bad;
  }
  // Saving replaces a damaged value; nullopt resets the mapping to the defaults.
  ASSERT_OK((*store)->SaveTestRailStatuses(project_id, statuses, 79));
  ASSERT_OK((*store)->SaveTestRailMapping(project_id, std::nullopt, 80));
  back = (*store)->GetTestRailConfig(project_id);
  ASSERT_OK(back);
  EXPECT_FALSE(back->statuses_unreadable);
  EXPECT_FALSE(back->mapping_unreadable);
  EXPECT_FALSE(back->mapping.has_value());
  EXPECT_EQ(QueryText(path, "SELECT statuses_json" + where), statuses_text);
}

TEST(SqliteStoreTest, MigrateToRejectsUnknownVersion) {
  auto store = SqliteStore::Open(":memory:");
  ASSERT_OK(store);
  EXPECT_EQ((*store)->MigrateTo(LatestVersion() + 1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*store)->MigrateTo(-1).code(), StatusCode::kInvalidArgument);
}

TEST(SqliteStoreTest, NewerDatabaseIsRefused) {
  testing::TempDir dir;
  const std::string path = dir.File("newer.db");
  {
    auto store = SqliteStore::Open(path);
    ASSERT_OK(store);
    ASSERT_OK((*store)->Migrate());
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string sql = "INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                    std::to_string(LatestVersion() + 1) + ", 0)";
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto store = SqliteStore::Open(path);
  ASSERT_OK(store);
  Status st = (*store)->Migrate();
  EXPECT_EQ(st.code(), StatusCode::kInternal);
  EXPECT_NE(st.message().find("newer"), std::string::npos);
}

TEST(SqliteStoreTest, DataPersistsAcrossReopen) {
  testing::TempDir dir;
  const std::string path = dir.File("persist.db");
  int64_t id = 0;
  {
    auto store = OpenSqliteStore(path);
    ASSERT_OK(store);
    ASSERT_OK((*store)->Migrate());
    User u;
    u.email = "keep@example.com";
    u.name = "Keeper";
    auto user = (*store)->CreateUser(u);
    ASSERT_OK(user);
    id = user->id;
  }
  auto store = OpenSqliteStore(path);
  ASSERT_OK(store);
  ASSERT_OK((*store)->Migrate());
  auto user = (*store)->GetUserByEmail("keep@example.com");
  ASSERT_OK(user);
  EXPECT_EQ(user->id, id);
  EXPECT_EQ(user->name, "Keeper");
  // Ids keep increasing after a reopen.
  User v;
  v.email = "next@example.com";
  auto next = (*store)->CreateUser(v);
  ASSERT_OK(next);
  EXPECT_GT(next->id, id);
}

TEST(SqliteStoreTest, UsesWalJournal) {
  testing::TempDir dir;
  const std::string path = dir.File("wal.db");
  auto store = OpenSqliteStore(path);
  ASSERT_OK(store);
  ASSERT_OK((*store)->Migrate());
  EXPECT_EQ(QueryText(path, "PRAGMA journal_mode"), "wal");
}

TEST(SqliteStoreTest, ForeignKeysAreEnforced) {
  auto store = OpenSqliteStore(":memory:");
  ASSERT_OK(store);
  ASSERT_OK((*store)->Migrate());
  // A session for a missing user is refused (by the store's check or the foreign key).
  EXPECT_EQ((*store)->CreateSession(Session{"h", 42, "c", 0, 1}).code(), StatusCode::kNotFound);
}

TEST(SqliteStoreTest, MemoryStoresAreIndependent) {
  auto a = OpenSqliteStore(":memory:");
  auto b = OpenSqliteStore(":memory:");
  ASSERT_OK(a);
  ASSERT_OK(b);
  ASSERT_OK((*a)->Migrate());
  ASSERT_OK((*b)->Migrate());
  User u;
  u.email = "a@example.com";
  ASSERT_OK((*a)->CreateUser(u));
  EXPECT_EQ(*(*a)->CountUsers(), 1);
  EXPECT_EQ(*(*b)->CountUsers(), 0);
}

TEST(SqliteStoreTest, NotADatabaseFails) {
  testing::TempDir dir;
  const std::string path = dir.File("garbage.db");
  std::ofstream(path) << std::string(4096, 'x');
  auto store = OpenSqliteStore(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInternal);
}

TEST(OpenStoreTest, UrlForms) {
  testing::TempDir dir;
  auto abs = OpenStore("sqlite://" + dir.File("abs.db"));
  ASSERT_OK(abs);
  ASSERT_OK((*abs)->Migrate());
  EXPECT_TRUE(std::filesystem::exists(dir.File("abs.db")));

  auto plain = OpenStore(dir.File("plain.db"));
  ASSERT_OK(plain);
  EXPECT_TRUE(std::filesystem::exists(dir.File("plain.db")));

  std::string rel =
      std::filesystem::relative(dir.path() / "rel.db", std::filesystem::current_path()).string();
  auto relative = OpenStore("sqlite:" + rel);
  ASSERT_OK(relative);
  EXPECT_TRUE(std::filesystem::exists(dir.File("rel.db")));

  auto mem = OpenStore("sqlite::memory:");
  ASSERT_OK(mem);
  ASSERT_OK((*mem)->Migrate());
}

TEST(OpenStoreTest, RejectsUnsupportedUrls) {
  // PostgreSQL URLs are supported (issue 15); no server listens on port 1, so Unavailable.
  auto pg = OpenStore("postgres://nexus@127.0.0.1:1/nexus?connect_timeout=2");
  ASSERT_FALSE(pg.ok());
  EXPECT_EQ(pg.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(pg.status().message().find("PostgreSQL"), std::string::npos);
  EXPECT_EQ(OpenStore("mysql://x/y").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore("sqlite:").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenStore("sqlite://host/x.db").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace nexus
