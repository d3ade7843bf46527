// SqliteStore: Store on SQLite (see sqlite_store.h for the connection model and store.h for
// the contract every method keeps).
#include "storage/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <unordered_map>
#include <utility>

#include "storage/migrations.h"
#include "storage/sqlite_conn.h"

namespace nexus {
namespace {

using sqlite::Connection;
using sqlite::Statement;
using Json = nlohmann::json;

constexpr int kMaxPageLimit = 1000;

// ---- Small helpers.

Status Exec(Connection& c, std::string_view op, const std::string& sql) {
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, sql));
  return st.Run();
}

std::string LowerAscii(std::string s) {
  for (char& ch : s)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return s;
}

Result<int> PageLimit(const PageRequest& page) {
  if (page.limit < 1) return InvalidArgument("page limit must be at least 1", "limit");
  return std::min(page.limit, kMaxPageLimit);
}

Status Corrupt(std::string_view op, std::string_view what) {
  return Internal(std::string(op) + ": unreadable " + std::string(what) + " in the database");
}

std::optional<ExecutionState> ParseExecutionState(std::string_view s) {
  for (ExecutionState st :
       {ExecutionState::kQueued, ExecutionState::kInProgress, ExecutionState::kCompleted})
    if (ExecutionStateName(st) == s) return st;
  return std::nullopt;
}

// ---- JSON value blobs. Decoding never throws: a malformed blob is an Internal error.

std::string EncodeStrings(const std::vector<std::string>& v) { return Json(v).dump(); }

Result<std::vector<std::string>> DecodeStrings(const std::string& text, std::string_view op) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return Corrupt(op, "string list");
  std::vector<std::string> out;
  out.reserve(j.size());
  for (const Json& e : j) {
    if (!e.is_string()) return Corrupt(op, "string list");
    out.push_back(e.get<std::string>());
  }
  return out;
}

std::string EncodeBugs(const std::vector<Bug>& bugs) {
  Json arr = Json::array();
  for (const Bug& b : bugs) {
    arr.push_back({{"title", b.title},
                   {"description", b.description},
                   {"severity", b.severity},
                   {"step_id", b.step_id}});
  }
  return arr.dump();
}

std::string JsonString(const Json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<int64_t> JsonOptInt(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int64_t>();
}

Result<std::vector<Bug>> DecodeBugs(const std::string& text, std::string_view op) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return Corrupt(op, "bugs");
  std::vector<Bug> out;
  for (const Json& e : j) {
    if (!e.is_object()) return Corrupt(op, "bugs");
    out.push_back(Bug{JsonString(e, "title"), JsonString(e, "description"),
                      JsonString(e, "severity"), JsonString(e, "step_id")});
  }
  return out;
}

std::string EncodeOutcomes(const std::vector<StepOutcome>& steps) {
  Json arr = Json::array();
  for (const StepOutcome& s : steps) {
    Json o = {{"step_id", s.step_id},
              {"result", RunResultName(s.result)},
              {"bug_label", BugLabelName(s.bug_label)},
              {"comment", s.comment}};
    if (s.started_at) o["started_at"] = *s.started_at;
    if (s.finished_at) o["finished_at"] = *s.finished_at;
    arr.push_back(std::move(o));
  }
  return arr.dump();
}

Result<std::vector<StepOutcome>> DecodeOutcomes(const std::string& text, std::string_view op) {
  Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return Corrupt(op, "step outcomes");
  std::vector<StepOutcome> out;
  for (const Json& e : j) {
    if (!e.is_object()) return Corrupt(op, "step outcomes");
    StepOutcome s;
    s.step_id = JsonString(e, "step_id");
    auto result = ParseRunResult(JsonString(e, "result"));
    auto label = ParseBugLabel(JsonString(e, "bug_label"));
    if (!result || !label) return Corrupt(op, "step outcomes");
    s.result = *result;
    s.bug_label = *label;
    s.started_at = JsonOptInt(e, "started_at");
    s.finished_at = JsonOptInt(e, "finished_at");
    s.comment = JsonString(e, "comment");
    out.push_back(std::move(s));
  }
  return out;
}

// ---- Users, tokens, sessions.

constexpr char kUserCols[] =
    "SELECT id, email, name, org_admin, password_hash, created_at FROM users";

User ReadUser(const Statement& st) {
  return User{st.Int64(0), st.Text(1), st.Text(2), st.Bool(3), st.Text(4), st.Int64(5)};
}

Result<User> LoadUser(Connection& c, int64_t id) {
  NEXUS_ASSIGN_OR_RETURN(Statement st,
                         c.Prepare("get user", std::string(kUserCols) + " WHERE id = ?1"));
  st.Bind(1, id);
  NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("user not found");
  return ReadUser(st);
}

constexpr char kTokenCols[] =
    "SELECT id, user_id, name, token_hash, created_at, last_used_at FROM api_tokens";

ApiToken ReadToken(const Statement& st) {
  return ApiToken{st.Int64(0), st.Int64(1), st.Text(2), st.Text(3), st.Int64(4), st.OptInt64(5)};
}

Result<bool> Exists(Connection& c, std::string_view op, const std::string& sql, int64_t a,
                    std::optional<int64_t> b = std::nullopt) {
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, sql));
  st.Bind(1, a);
  if (b) st.Bind(2, *b);
  return st.Step();
}

// ---- Projects.

Result<std::vector<std::string>> LoadFeatures(Connection& c, int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare("get project features",
                "SELECT feature FROM project_features WHERE project_id = ?1 ORDER BY feature"));
  st.Bind(1, project_id);
  std::vector<std::string> out;
  for (;;) {
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.Text(0));
  }
  return out;
}

Result<Project> LoadProject(Connection& c, int64_t id) {
  Project p;
  {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("get project", "SELECT id, name, created_at FROM projects WHERE id = ?1"));
    st.Bind(1, id);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("project not found");
    p.id = st.Int64(0);
    p.name = st.Text(1);
    p.created_at = st.Int64(2);
  }
  NEXUS_ASSIGN_OR_RETURN(p.features, LoadFeatures(c, id));
  return p;
}

// Projects selected by `sql` (columns id, name, created_at; `bind_user` binds ?1 when set),
// with their features from `features_sql` (columns project_id, feature).
Result<std::vector<Project>> LoadProjects(Connection& c, std::string_view op,
                                          const std::string& sql, const std::string& features_sql,
                                          std::optional<int64_t> bind_user) {
  std::vector<Project> out;
  std::unordered_map<int64_t, size_t> index;
  {
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, sql));
    if (bind_user) st.Bind(1, *bind_user);
    for (;;) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      Project p;
      p.id = st.Int64(0);
      p.name = st.Text(1);
      p.created_at = st.Int64(2);
      index[p.id] = out.size();
      out.push_back(std::move(p));
    }
  }
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, features_sql));
  if (bind_user) st.Bind(1, *bind_user);
  for (;;) {
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    auto it = index.find(st.Int64(0));
    if (it != index.end()) out[it->second].features.push_back(st.Text(1));
  }
  return out;
}

// ---- Tests.

constexpr char kTestCols[] =
    "SELECT id, project_id, name, tags_json, version, created_at, updated_at FROM tests";

Result<Test> ReadTest(const Statement& st, std::string_view op) {
  Test t;
  t.id = st.Int64(0);
  t.project_id = st.Int64(1);
  t.name = st.Text(2);
  NEXUS_ASSIGN_OR_RETURN(t.tags, DecodeStrings(st.Text(3), op));
  t.version = st.Int64(4);
  t.created_at = st.Int64(5);
  t.updated_at = st.Int64(6);
  return t;
}

// Appends the steps selected by `st` (columns test_id, step_id, goal, expected_results_json,
// ordered by test then position) to the matching tests.
Status ReadSteps(Statement& st, std::string_view op, std::vector<Test>& tests) {
  std::unordered_map<int64_t, size_t> index;
  for (size_t i = 0; i < tests.size(); ++i) index[tests[i].id] = i;
  for (;;) {
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    auto it = index.find(st.Int64(0));
    if (it == index.end()) continue;
    Step s;
    s.id = st.Text(1);
    s.goal = st.Text(2);
    NEXUS_ASSIGN_OR_RETURN(s.expected_results, DecodeStrings(st.Text(3), op));
    tests[it->second].steps.push_back(std::move(s));
  }
  return Status::Ok();
}

// A live (not deleted) test of the project, with its steps.
Result<Test> LoadTest(Connection& c, int64_t project_id, int64_t test_id) {
  constexpr std::string_view kOp = "get test";
  std::vector<Test> one;
  {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp, std::string(kTestCols) +
                           " WHERE id = ?1 AND project_id = ?2 AND deleted_at IS NULL"));
    st.Bind(1, test_id).Bind(2, project_id);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("test not found");
    NEXUS_ASSIGN_OR_RETURN(Test t, ReadTest(st, kOp));
    one.push_back(std::move(t));
  }
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(kOp,
                "SELECT test_id, step_id, goal, expected_results_json FROM test_steps "
                "WHERE test_id = ?1 ORDER BY position"));
  st.Bind(1, test_id);
  NEXUS_RETURN_IF_ERROR(ReadSteps(st, kOp, one));
  return std::move(one.front());
}

Status ValidateSteps(const std::vector<Step>& steps) {
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].id.empty())
      return InvalidArgument("step id must not be empty", "steps[" + std::to_string(i) + "].id");
  }
  return Status::Ok();
}

Status InsertSteps(Connection& c, int64_t test_id, const std::vector<Step>& steps) {
  for (size_t i = 0; i < steps.size(); ++i) {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare("store test steps",
                                     "INSERT INTO test_steps (test_id, position, step_id, goal, "
                                     "expected_results_json) VALUES (?1, ?2, ?3, ?4, ?5)"));
    st.Bind(1, test_id)
        .Bind(2, static_cast<int64_t>(i))
        .Bind(3, steps[i].id)
        .Bind(4, steps[i].goal)
        .Bind(5, EncodeStrings(steps[i].expected_results));
    Status s = st.Run();
    if (s.code() == StatusCode::kConflict) {
      return Conflict("duplicate step id \"" + steps[i].id + "\"", "duplicate");
    }
    NEXUS_RETURN_IF_ERROR(s);
  }
  return Status::Ok();
}

// ---- Runs.

constexpr char kRunCols[] =
    "SELECT id, project_id, test_id, test_version, result, bug_label, started_at, finished_at, "
    "build, summary, bugs_json, steps_json, execution_id, created_at, updated_at FROM runs";

Result<Run> ReadRun(const Statement& st, std::string_view op) {
  Run r;
  r.id = st.Int64(0);
  r.project_id = st.Int64(1);
  r.test_id = st.Int64(2);
  r.test_version = st.Int64(3);
  auto result = ParseRunResult(st.Text(4));
  auto label = ParseBugLabel(st.Text(5));
  if (!result || !label) return Corrupt(op, "run result");
  r.result = *result;
  r.bug_label = *label;
  r.started_at = st.Int64(6);
  r.finished_at = st.OptInt64(7);
  r.build = st.Text(8);
  r.summary = st.Text(9);
  NEXUS_ASSIGN_OR_RETURN(r.bugs, DecodeBugs(st.Text(10), op));
  NEXUS_ASSIGN_OR_RETURN(r.steps, DecodeOutcomes(st.Text(11), op));
  r.execution_id = st.OptInt64(12);
  r.created_at = st.Int64(13);
  r.updated_at = st.Int64(14);
  return r;
}

Result<Run> LoadRun(Connection& c, int64_t project_id, int64_t run_id) {
  constexpr std::string_view kOp = "get run";
  NEXUS_ASSIGN_OR_RETURN(
      Statement st, c.Prepare(kOp, std::string(kRunCols) + " WHERE id = ?1 AND project_id = ?2"));
  st.Bind(1, run_id).Bind(2, project_id);
  NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("run not found");
  return ReadRun(st, kOp);
}

// ---- Plans and executions: a parent row plus an ordered list of test ids in a child table.

// Reads (parent_id, test_id) rows ordered by parent then position into `lists[parent_id]`.
Status ReadTestIdLists(Statement& st, std::unordered_map<int64_t, std::vector<int64_t>>& lists) {
  for (;;) {
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    lists[st.Int64(0)].push_back(st.Int64(1));
  }
  return Status::Ok();
}

Status InsertTestIds(Connection& c, std::string_view op, const std::string& sql, int64_t parent,
                     const std::vector<int64_t>& test_ids) {
  for (size_t i = 0; i < test_ids.size(); ++i) {
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, sql));
    st.Bind(1, parent).Bind(2, static_cast<int64_t>(i)).Bind(3, test_ids[i]);
    NEXUS_RETURN_IF_ERROR(st.Run());
  }
  return Status::Ok();
}

// NotFound (field "test_ids[i]") unless every id is a test of the project (live only when
// `live_only`).
Status CheckTestIds(Connection& c, std::string_view op, int64_t project_id,
                    const std::vector<int64_t>& test_ids, bool live_only) {
  std::string sql = "SELECT 1 FROM tests WHERE id = ?1 AND project_id = ?2";
  if (live_only) sql += " AND deleted_at IS NULL";
  for (size_t i = 0; i < test_ids.size(); ++i) {
    NEXUS_ASSIGN_OR_RETURN(bool found, Exists(c, op, sql, test_ids[i], project_id));
    if (!found) return NotFound("test not found", "test_ids[" + std::to_string(i) + "]");
  }
  return Status::Ok();
}

Result<TestPlan> LoadPlan(Connection& c, int64_t project_id, int64_t plan_id) {
  constexpr std::string_view kOp = "get plan";
  TestPlan p;
  {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare(kOp,
                                     "SELECT id, project_id, name, created_at FROM test_plans "
                                     "WHERE id = ?1 AND project_id = ?2"));
    st.Bind(1, plan_id).Bind(2, project_id);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("test plan not found");
    p = TestPlan{st.Int64(0), st.Int64(1), st.Text(2), {}, st.Int64(3)};
  }
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(kOp,
                "SELECT plan_id, test_id FROM plan_tests WHERE plan_id = ?1 ORDER BY position"));
  st.Bind(1, plan_id);
  std::unordered_map<int64_t, std::vector<int64_t>> lists;
  NEXUS_RETURN_IF_ERROR(ReadTestIdLists(st, lists));
  p.test_ids = std::move(lists[plan_id]);
  return p;
}

constexpr char kExecutionCols[] =
    "SELECT id, project_id, plan_id, state, created_at, completed_at FROM executions";

Result<Execution> ReadExecution(const Statement& st, std::string_view op) {
  Execution e;
  e.id = st.Int64(0);
  e.project_id = st.Int64(1);
  e.plan_id = st.Int64(2);
  auto state = ParseExecutionState(st.Text(3));
  if (!state) return Corrupt(op, "execution state");
  e.state = *state;
  e.created_at = st.Int64(4);
  e.completed_at = st.OptInt64(5);
  return e;
}

Result<Execution> LoadExecution(Connection& c, int64_t project_id, int64_t execution_id) {
  constexpr std::string_view kOp = "get execution";
  Execution e;
  {
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp, std::string(kExecutionCols) +
                                                            " WHERE id = ?1 AND project_id = ?2"));
    st.Bind(1, execution_id).Bind(2, project_id);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("execution not found");
    NEXUS_ASSIGN_OR_RETURN(e, ReadExecution(st, kOp));
  }
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp,
                                                 "SELECT execution_id, test_id FROM "
                                                 "execution_tests WHERE execution_id = ?1 "
                                                 "ORDER BY position"));
  st.Bind(1, execution_id);
  std::unordered_map<int64_t, std::vector<int64_t>> lists;
  NEXUS_RETURN_IF_ERROR(ReadTestIdLists(st, lists));
  e.test_ids = std::move(lists[execution_id]);
  return e;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

// ---- Connection management.

// A connection to read from: a pooled reader, or the writer (under write_mu_) for an
// in-memory database. Returns the reader to the pool on destruction.
class SqliteStore::ReadLease {
 public:
  explicit ReadLease(SqliteStore* store) : store_(store) {
    if (store_->in_memory_) {
      write_lock_ = std::unique_lock<std::mutex>(store_->write_mu_);
      conn_ = store_->writer_.get();
      return;
    }
    {
      std::unique_lock<std::mutex> lock(store_->pool_mu_);
      store_->pool_cv_.wait(lock, [&] {
        return !store_->idle_readers_.empty() ||
               store_->open_readers_ < store_->options_.max_readers;
      });
      if (!store_->idle_readers_.empty()) {
        owned_ = std::move(store_->idle_readers_.back());
        store_->idle_readers_.pop_back();
        conn_ = owned_.get();
        return;
      }
      ++store_->open_readers_;
    }
    auto opened = sqlite::Connection::Open(
        store_->path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
        store_->options_.busy_timeout_ms,
        /*query_only=*/true);
    if (!opened.ok()) {
      status_ = opened.status();
      std::lock_guard<std::mutex> lock(store_->pool_mu_);
      --store_->open_readers_;
      store_->pool_cv_.notify_one();
      return;
    }
    owned_ = std::move(opened).value();
    conn_ = owned_.get();
  }

  ~ReadLease() {
    if (!owned_) return;
    std::lock_guard<std::mutex> lock(store_->pool_mu_);
    store_->idle_readers_.push_back(std::move(owned_));
    store_->pool_cv_.notify_one();
  }

  ReadLease(const ReadLease&) = delete;
  ReadLease& operator=(const ReadLease&) = delete;

  const Status& status() const { return status_; }
  sqlite::Connection* conn() const { return conn_; }

 private:
  SqliteStore* store_;
  std::unique_lock<std::mutex> write_lock_;
  std::unique_ptr<sqlite::Connection> owned_;
  sqlite::Connection* conn_ = nullptr;
  Status status_;
};

template <typename Fn>
auto SqliteStore::Write(std::string_view op, Fn&& fn)
    -> decltype(fn(std::declval<sqlite::Connection&>())) {
  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite::Connection& c = *writer_;
  NEXUS_RETURN_IF_ERROR(Exec(c, op, "BEGIN IMMEDIATE"));
  auto result = fn(c);
  if (result.ok()) {
    Status commit = Exec(c, op, "COMMIT");
    if (commit.ok()) return result;
    (void)Exec(c, op, "ROLLBACK");
    return commit;
  }
  (void)Exec(c, op, "ROLLBACK");
  return result;
}

template <typename Fn>
auto SqliteStore::Read(std::string_view op, Fn&& fn)
    -> decltype(fn(std::declval<sqlite::Connection&>())) {
  ReadLease lease(this);
  if (!lease.status().ok()) return lease.status();
  sqlite::Connection& c = *lease.conn();
  NEXUS_RETURN_IF_ERROR(Exec(c, op, "BEGIN"));
  auto result = fn(c);
  Status end = Exec(c, op, result.ok() ? "COMMIT" : "ROLLBACK");
  if (result.ok() && !end.ok()) return end;
  return result;
}

Status SqliteStore::WriteTx(std::string_view op,
                            const std::function<Status(sqlite::Connection&)>& fn) {
  return Write(op, fn);
}

Status SqliteStore::ReadTx(std::string_view op,
                           const std::function<Status(sqlite::Connection&)>& fn) {
  return Read(op, fn);
}

SqliteStore::SqliteStore(std::string path, SqliteStoreOptions options,
                         std::unique_ptr<sqlite::Connection> writer)
    : path_(std::move(path)),
      options_(options),
      in_memory_(path_ == ":memory:" || path_.empty()),
      writer_(std::move(writer)) {}

SqliteStore::~SqliteStore() = default;

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path,
                                                       const SqliteStoreOptions& options) {
  if (path.empty()) return InvalidArgument("database path must not be empty", "db");
  NEXUS_ASSIGN_OR_RETURN(
      std::unique_ptr<sqlite::Connection> writer,
      sqlite::Connection::Open(
          path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
          options.busy_timeout_ms, /*query_only=*/false));
  // Fail now, not on the first query, when the file is not a database.
  NEXUS_RETURN_IF_ERROR(Exec(*writer, "open database", "SELECT COUNT(*) FROM sqlite_master"));
  SqliteStoreOptions opts = options;
  opts.max_readers = std::max(1, opts.max_readers);
  return std::unique_ptr<SqliteStore>(new SqliteStore(path, opts, std::move(writer)));
}

// ---- Migrations.

Status SqliteStore::Migrate() { return MigrateUpTo(EmbeddedMigrations().back().version); }

Status SqliteStore::MigrateTo(int version) {
  const auto& all = EmbeddedMigrations();
  if (version < 0 || version > all.back().version)
    return InvalidArgument("unknown schema version " + std::to_string(version), "version");
  return MigrateUpTo(version);
}

Status SqliteStore::MigrateUpTo(int version) {
  const auto& all = EmbeddedMigrations();
  std::lock_guard<std::mutex> lock(write_mu_);
  sqlite::Connection& c = *writer_;
  NEXUS_RETURN_IF_ERROR(c.ExecScript("migrate",
                                     "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                     "version BIGINT NOT NULL PRIMARY KEY, "
                                     "applied_at BIGINT NOT NULL)"));
  {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("migrate", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    int64_t current = row ? st.Int64(0) : 0;
    if (current > all.back().version) {
      return Internal("migrate: the database is at schema version " + std::to_string(current) +
                      ", newer than this binary knows (" + std::to_string(all.back().version) +
                      ")");
    }
  }
  for (const Migration& m : all) {
    if (m.version > version) break;
    std::string label = "migration " + std::to_string(m.version) + "_" + std::string(m.name);
    // Each migration in its own transaction; the check inside it makes concurrent migrating
    // processes safe (the second one finds the version recorded and skips it).
    NEXUS_RETURN_IF_ERROR(Exec(c, label, "BEGIN IMMEDIATE"));
    Status st = [&]() -> Status {
      NEXUS_ASSIGN_OR_RETURN(
          bool applied,
          Exists(c, label, "SELECT 1 FROM schema_migrations WHERE version = ?1", m.version));
      if (applied) return Status::Ok();
      NEXUS_RETURN_IF_ERROR(c.ExecScript(label, std::string(m.sql)));
      NEXUS_ASSIGN_OR_RETURN(
          Statement ins,
          c.Prepare(label, "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)"));
      ins.Bind(1, static_cast<int64_t>(m.version)).Bind(2, NowMs());
      return ins.Run();
    }();
    if (st.ok()) st = Exec(c, label, "COMMIT");
    if (!st.ok()) {
      (void)c.ExecScript(label, "ROLLBACK");
      return st;
    }
  }
  return Status::Ok();
}

Result<int> SqliteStore::SchemaVersion() {
  return Read("schema version", [](Connection& c) -> Result<int> {
    {
      NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare("schema version",
                                                     "SELECT 1 FROM sqlite_master WHERE type = "
                                                     "'table' AND name = 'schema_migrations'"));
      NEXUS_ASSIGN_OR_RETURN(bool has_table, st.Step());
      if (!has_table) return 0;
    }
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("schema version", "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    return row ? static_cast<int>(st.Int64(0)) : 0;
  });
}

// ---- Users.

Result<User> SqliteStore::CreateUser(const User& user) {
  return Write("create user", [&](Connection& c) -> Result<User> {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("create user",
                  "INSERT INTO users (email, name, org_admin, password_hash, created_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5)"));
    st.Bind(1, LowerAscii(user.email))
        .Bind(2, user.name)
        .Bind(3, user.org_admin)
        .Bind(4, user.password_hash)
        .Bind(5, user.created_at);
    Status s = st.Run();
    if (s.code() == StatusCode::kConflict)
      return Conflict("a user with this email already exists", "duplicate");
    NEXUS_RETURN_IF_ERROR(s);
    return LoadUser(c, sqlite3_last_insert_rowid(c.handle()));
  });
}

Result<User> SqliteStore::GetUser(int64_t id) {
  return Read("get user", [&](Connection& c) { return LoadUser(c, id); });
}

Result<User> SqliteStore::GetUserByEmail(const std::string& email) {
  return Read("get user", [&](Connection& c) -> Result<User> {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare("get user", std::string(kUserCols) + " WHERE email = ?1"));
    st.Bind(1, LowerAscii(email));
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("user not found");
    return ReadUser(st);
  });
}

Result<std::vector<User>> SqliteStore::ListUsers() {
  return Read("list users", [&](Connection& c) -> Result<std::vector<User>> {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare("list users", std::string(kUserCols) + " ORDER BY id"));
    std::vector<User> out;
    for (;;) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(ReadUser(st));
    }
    return out;
  });
}

Result<int64_t> SqliteStore::CountUsers() {
  return Read("count users", [&](Connection& c) -> Result<int64_t> {
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare("count users", "SELECT COUNT(*) FROM users"));
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    return row ? st.Int64(0) : int64_t{0};
  });
}

// ---- API tokens.

Result<ApiToken> SqliteStore::CreateToken(const ApiToken& token) {
  constexpr std::string_view kOp = "create token";
  return Write(kOp, [&](Connection& c) -> Result<ApiToken> {
    NEXUS_ASSIGN_OR_RETURN(bool user_exists,
                           Exists(c, kOp, "SELECT 1 FROM users WHERE id = ?1", token.user_id));
    if (!user_exists) return NotFound("user not found", "user_id");
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "INSERT INTO api_tokens (user_id, name, token_hash, created_at, last_used_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5)"));
    st.Bind(1, token.user_id)
        .Bind(2, token.name)
        .Bind(3, token.token_hash)
        .Bind(4, token.created_at)
        .Bind(5, token.last_used_at);
    Status s = st.Run();
    if (s.code() == StatusCode::kConflict) return Conflict("token already exists", "duplicate");
    NEXUS_RETURN_IF_ERROR(s);
    ApiToken out = token;
    out.id = sqlite3_last_insert_rowid(c.handle());
    return out;
  });
}

Result<ApiToken> SqliteStore::GetTokenByHash(const std::string& token_hash) {
  return Read("get token", [&](Connection& c) -> Result<ApiToken> {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st, c.Prepare("get token", std::string(kTokenCols) + " WHERE token_hash = ?1"));
    st.Bind(1, token_hash);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("token not found");
    return ReadToken(st);
  });
}

Result<std::vector<ApiToken>> SqliteStore::ListTokens(int64_t user_id) {
  return Read("list tokens", [&](Connection& c) -> Result<std::vector<ApiToken>> {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("list tokens", std::string(kTokenCols) + " WHERE user_id = ?1 ORDER BY id"));
    st.Bind(1, user_id);
    std::vector<ApiToken> out;
    for (;;) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(ReadToken(st));
    }
    return out;
  });
}

Status SqliteStore::DeleteToken(int64_t user_id, int64_t token_id) {
  return Write("delete token", [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("delete token", "DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2"));
    st.Bind(1, token_id).Bind(2, user_id);
    NEXUS_RETURN_IF_ERROR(st.Run());
    if (st.Changes() == 0) return NotFound("token not found");
    return Status::Ok();
  });
}

// ---- Sessions.

Status SqliteStore::CreateSession(const Session& session) {
  constexpr std::string_view kOp = "create session";
  return Write(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(bool user_exists,
                           Exists(c, kOp, "SELECT 1 FROM users WHERE id = ?1", session.user_id));
    if (!user_exists) return NotFound("user not found", "user_id");
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5)"));
    st.Bind(1, session.id_hash)
        .Bind(2, session.user_id)
        .Bind(3, session.csrf_token)
        .Bind(4, session.created_at)
        .Bind(5, session.expires_at);
    Status s = st.Run();
    if (s.code() == StatusCode::kConflict) return Conflict("session already exists", "duplicate");
    return s;
  });
}

Result<Session> SqliteStore::GetSession(const std::string& id_hash) {
  return Read("get session", [&](Connection& c) -> Result<Session> {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare("get session",
                                     "SELECT id_hash, user_id, csrf_token, created_at, "
                                     "expires_at FROM sessions WHERE id_hash = ?1"));
    st.Bind(1, id_hash);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return NotFound("session not found");
    return Session{st.Text(0), st.Int64(1), st.Text(2), st.Int64(3), st.Int64(4)};
  });
}

Status SqliteStore::DeleteSession(const std::string& id_hash) {
  return Write("delete session", [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare("delete session", "DELETE FROM sessions WHERE id_hash = ?1"));
    st.Bind(1, id_hash);
    NEXUS_RETURN_IF_ERROR(st.Run());
    if (st.Changes() == 0) return NotFound("session not found");
    return Status::Ok();
  });
}

Status SqliteStore::DeleteExpiredSessions(TimeMs now) {
  return Write("delete expired sessions", [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare("delete expired sessions",
                                                   "DELETE FROM sessions WHERE expires_at <= ?1"));
    st.Bind(1, now);
    return st.Run();
  });
}

// ---- Projects, features, memberships.

namespace {

Status UpsertMembership(Connection& c, std::string_view op, const Membership& m) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(op,
                "INSERT INTO memberships (project_id, user_id, role) VALUES (?1, ?2, ?3) "
                "ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role"));
  st.Bind(1, m.project_id).Bind(2, m.user_id).Bind(3, ProjectRoleName(m.role));
  return st.Run();
}

Status InsertFeature(Connection& c, std::string_view op, int64_t project_id,
                     const std::string& feature) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st, c.Prepare(op,
                              "INSERT INTO project_features (project_id, feature) VALUES (?1, ?2) "
                              "ON CONFLICT (project_id, feature) DO NOTHING"));
  st.Bind(1, project_id).Bind(2, feature);
  return st.Run();
}

}  // namespace

Result<Project> SqliteStore::CreateProject(const Project& project,
                                           std::optional<int64_t> creator_user_id) {
  constexpr std::string_view kOp = "create project";
  return Write(kOp, [&](Connection& c) -> Result<Project> {
    if (creator_user_id) {
      NEXUS_ASSIGN_OR_RETURN(bool user_exists,
                             Exists(c, kOp, "SELECT 1 FROM users WHERE id = ?1", *creator_user_id));
      if (!user_exists) return NotFound("creator user not found", "creator_user_id");
    }
    NEXUS_ASSIGN_OR_RETURN(
        Statement st, c.Prepare(kOp, "INSERT INTO projects (name, created_at) VALUES (?1, ?2)"));
    st.Bind(1, project.name).Bind(2, project.created_at);
    NEXUS_RETURN_IF_ERROR(st.Run());
    int64_t id = sqlite3_last_insert_rowid(c.handle());
    for (const std::string& f : project.features)
      NEXUS_RETURN_IF_ERROR(InsertFeature(c, kOp, id, f));
    if (creator_user_id) {
      NEXUS_RETURN_IF_ERROR(
          UpsertMembership(c, kOp, Membership{id, *creator_user_id, ProjectRole::kAdmin}));
    }
    return LoadProject(c, id);
  });
}

Result<Project> SqliteStore::GetProject(int64_t id) {
  return Read("get project", [&](Connection& c) { return LoadProject(c, id); });
}

Result<std::vector<Project>> SqliteStore::ListProjects() {
  return Read("list projects", [&](Connection& c) {
    return LoadProjects(c, "list projects", "SELECT id, name, created_at FROM projects ORDER BY id",
                        "SELECT project_id, feature FROM project_features "
                        "ORDER BY project_id, feature",
                        std::nullopt);
  });
}

Result<std::vector<Project>> SqliteStore::ListProjectsForUser(int64_t user_id) {
  return Read("list projects", [&](Connection& c) {
    return LoadProjects(
        c, "list projects",
        "SELECT p.id, p.name, p.created_at FROM projects p "
        "JOIN memberships m ON m.project_id = p.id WHERE m.user_id = ?1 ORDER BY p.id",
        "SELECT f.project_id, f.feature FROM project_features f "
        "JOIN memberships m ON m.project_id = f.project_id WHERE m.user_id = ?1 "
        "ORDER BY f.project_id, f.feature",
        user_id);
  });
}

Status SqliteStore::SetProjectFeature(int64_t project_id, const std::string& feature,
                                      bool enabled) {
  constexpr std::string_view kOp = "set project feature";
  return Write(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(bool exists,
                           Exists(c, kOp, "SELECT 1 FROM projects WHERE id = ?1", project_id));
    if (!exists) return NotFound("project not found");
    if (enabled) return InsertFeature(c, kOp, project_id, feature);
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp, "DELETE FROM project_features WHERE project_id = ?1 AND feature = ?2"));
    st.Bind(1, project_id).Bind(2, feature);
    return st.Run();
  });
}

Status SqliteStore::SetMembership(const Membership& m) {
  constexpr std::string_view kOp = "set membership";
  return Write(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(bool project_exists,
                           Exists(c, kOp, "SELECT 1 FROM projects WHERE id = ?1", m.project_id));
    if (!project_exists) return NotFound("project not found", "project_id");
    NEXUS_ASSIGN_OR_RETURN(bool user_exists,
                           Exists(c, kOp, "SELECT 1 FROM users WHERE id = ?1", m.user_id));
    if (!user_exists) return NotFound("user not found", "user_id");
    return UpsertMembership(c, kOp, m);
  });
}

Status SqliteStore::RemoveMembership(int64_t project_id, int64_t user_id) {
  return Write("remove membership", [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st, c.Prepare("remove membership",
                                "DELETE FROM memberships WHERE project_id = ?1 AND user_id = ?2"));
    st.Bind(1, project_id).Bind(2, user_id);
    NEXUS_RETURN_IF_ERROR(st.Run());
    if (st.Changes() == 0) return NotFound("membership not found");
    return Status::Ok();
  });
}

Result<std::optional<ProjectRole>> SqliteStore::GetRole(int64_t project_id, int64_t user_id) {
  return Read("get role", [&](Connection& c) -> Result<std::optional<ProjectRole>> {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare("get role",
                  "SELECT role FROM memberships WHERE project_id = ?1 AND user_id = ?2"));
    st.Bind(1, project_id).Bind(2, user_id);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return std::optional<ProjectRole>();
    auto role = ParseProjectRole(st.Text(0));
    if (!role) return Corrupt("get role", "role");
    return role;
  });
}

Result<std::vector<Membership>> SqliteStore::ListMembers(int64_t project_id) {
  constexpr std::string_view kOp = "list members";
  return Read(kOp, [&](Connection& c) -> Result<std::vector<Membership>> {
    NEXUS_ASSIGN_OR_RETURN(bool exists,
                           Exists(c, kOp, "SELECT 1 FROM projects WHERE id = ?1", project_id));
    if (!exists) return NotFound("project not found");
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp,
                                                   "SELECT project_id, user_id, role FROM "
                                                   "memberships WHERE project_id = ?1 "
                                                   "ORDER BY user_id"));
    st.Bind(1, project_id);
    std::vector<Membership> out;
    for (;;) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      auto role = ParseProjectRole(st.Text(2));
      if (!role) return Corrupt(kOp, "role");
      out.push_back(Membership{st.Int64(0), st.Int64(1), *role});
    }
    return out;
  });
}

// ---- Tests.

Result<Test> SqliteStore::CreateTest(const Test& test) {
  constexpr std::string_view kOp = "create test";
  NEXUS_RETURN_IF_ERROR(ValidateSteps(test.steps));
  return Write(kOp, [&](Connection& c) -> Result<Test> {
    NEXUS_ASSIGN_OR_RETURN(bool exists,
                           Exists(c, kOp, "SELECT 1 FROM projects WHERE id = ?1", test.project_id));
    if (!exists) return NotFound("project not found", "project_id");
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "INSERT INTO tests (project_id, name, tags_json, version, created_at, "
                  "updated_at) VALUES (?1, ?2, ?3, 1, ?4, ?5)"));
    st.Bind(1, test.project_id)
        .Bind(2, test.name)
        .Bind(3, EncodeStrings(test.tags))
        .Bind(4, test.created_at)
        .Bind(5, test.updated_at);
    NEXUS_RETURN_IF_ERROR(st.Run());
    int64_t id = sqlite3_last_insert_rowid(c.handle());
    NEXUS_RETURN_IF_ERROR(InsertSteps(c, id, test.steps));
    return LoadTest(c, test.project_id, id);
  });
}

Result<Test> SqliteStore::GetTest(int64_t project_id, int64_t test_id) {
  return Read("get test", [&](Connection& c) { return LoadTest(c, project_id, test_id); });
}

Result<std::vector<Test>> SqliteStore::ListTests(int64_t project_id, const PageRequest& page) {
  constexpr std::string_view kOp = "list tests";
  NEXUS_ASSIGN_OR_RETURN(int limit, PageLimit(page));
  return Read(kOp, [&](Connection& c) -> Result<std::vector<Test>> {
    std::vector<Test> out;
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp, std::string(kTestCols) +
                             " WHERE project_id = ?1 AND deleted_at IS NULL AND id > ?2 "
                             "ORDER BY id LIMIT ?3"));
      st.Bind(1, project_id).Bind(2, page.after_id).Bind(3, limit);
      for (;;) {
        NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        NEXUS_ASSIGN_OR_RETURN(Test t, ReadTest(st, kOp));
        out.push_back(std::move(t));
      }
    }
    if (out.empty()) return out;
    // The steps of exactly this page, in one query (same snapshot).
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "SELECT test_id, step_id, goal, expected_results_json FROM test_steps "
                  "WHERE test_id >= ?1 AND test_id <= ?2 AND test_id IN (SELECT id FROM tests "
                  "WHERE project_id = ?3 AND deleted_at IS NULL) ORDER BY test_id, position"));
    st.Bind(1, out.front().id).Bind(2, out.back().id).Bind(3, project_id);
    NEXUS_RETURN_IF_ERROR(ReadSteps(st, kOp, out));
    return out;
  });
}

Result<Test> SqliteStore::UpdateTest(const Test& test) {
  constexpr std::string_view kOp = "update test";
  NEXUS_RETURN_IF_ERROR(ValidateSteps(test.steps));
  return Write(kOp, [&](Connection& c) -> Result<Test> {
    int64_t stored_version = 0;
    {
      NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp,
                                                     "SELECT version FROM tests WHERE id = ?1 "
                                                     "AND project_id = ?2 AND deleted_at IS NULL"));
      st.Bind(1, test.id).Bind(2, test.project_id);
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return NotFound("test not found");
      stored_version = st.Int64(0);
    }
    if (stored_version != test.version) {
      return Conflict("the test was changed since version " + std::to_string(test.version) +
                          " (now " + std::to_string(stored_version) + ")",
                      "version_mismatch");
    }
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp,
                    "UPDATE tests SET name = ?1, tags_json = ?2, version = version + 1, "
                    "updated_at = ?3 WHERE id = ?4 AND version = ?5"));
      st.Bind(1, test.name)
          .Bind(2, EncodeStrings(test.tags))
          .Bind(3, test.updated_at)
          .Bind(4, test.id)
          .Bind(5, test.version);
      NEXUS_RETURN_IF_ERROR(st.Run());
    }
    {
      NEXUS_ASSIGN_OR_RETURN(Statement st,
                             c.Prepare(kOp, "DELETE FROM test_steps WHERE test_id = ?1"));
      st.Bind(1, test.id);
      NEXUS_RETURN_IF_ERROR(st.Run());
    }
    NEXUS_RETURN_IF_ERROR(InsertSteps(c, test.id, test.steps));
    return LoadTest(c, test.project_id, test.id);
  });
}

Status SqliteStore::DeleteTest(int64_t project_id, int64_t test_id, TimeMs now) {
  return Write("delete test", [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare("delete test",
                                     "UPDATE tests SET deleted_at = ?1 WHERE id = ?2 AND "
                                     "project_id = ?3 AND deleted_at IS NULL"));
    st.Bind(1, now).Bind(2, test_id).Bind(3, project_id);
    NEXUS_RETURN_IF_ERROR(st.Run());
    if (st.Changes() == 0) return NotFound("test not found");
    return Status::Ok();
  });
}

// ---- Runs.

Result<Run> SqliteStore::CreateRun(const Run& run) {
  return Write("create run", [&](Connection& c) { return InsertRun(c, run); });
}

Result<Run> SqliteStore::InsertRun(Connection& c, const Run& run) {
  constexpr std::string_view kOp = "create run";
  // Deleted tests still accept runs: an execution launched before the deletion reports in.
  NEXUS_ASSIGN_OR_RETURN(bool test_exists,
                         Exists(c, kOp, "SELECT 1 FROM tests WHERE id = ?1 AND project_id = ?2",
                                run.test_id, run.project_id));
  if (!test_exists) return NotFound("test not found", "test_id");
  if (run.execution_id) {
    NEXUS_ASSIGN_OR_RETURN(
        bool exec_exists,
        Exists(c, kOp, "SELECT 1 FROM executions WHERE id = ?1 AND project_id = ?2",
               *run.execution_id, run.project_id));
    if (!exec_exists) return NotFound("execution not found", "execution_id");
  }
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(kOp,
                "INSERT INTO runs (project_id, test_id, test_version, result, bug_label, "
                "started_at, finished_at, build, summary, bugs_json, steps_json, "
                "execution_id, created_at, updated_at) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"));
  st.Bind(1, run.project_id)
      .Bind(2, run.test_id)
      .Bind(3, run.test_version)
      .Bind(4, RunResultName(run.result))
      .Bind(5, BugLabelName(run.bug_label))
      .Bind(6, run.started_at)
      .Bind(7, run.finished_at)
      .Bind(8, run.build)
      .Bind(9, run.summary)
      .Bind(10, EncodeBugs(run.bugs))
      .Bind(11, EncodeOutcomes(run.steps))
      .Bind(12, run.execution_id)
      .Bind(13, run.created_at)
      .Bind(14, run.updated_at);
  NEXUS_RETURN_IF_ERROR(st.Run());
  return LoadRun(c, run.project_id, sqlite3_last_insert_rowid(c.handle()));
}

Result<Run> SqliteStore::GetRun(int64_t project_id, int64_t run_id) {
  return Read("get run", [&](Connection& c) { return LoadRun(c, project_id, run_id); });
}

Result<std::vector<Run>> SqliteStore::ListRuns(int64_t project_id, const RunFilter& filter,
                                               const PageRequest& page) {
  constexpr std::string_view kOp = "list runs";
  NEXUS_ASSIGN_OR_RETURN(int limit, PageLimit(page));
  // One statement text per filter combination (at most 8, each cached).
  std::string sql = std::string(kRunCols) + " WHERE project_id = ?1 AND id > ?2";
  if (filter.test_id) sql += " AND test_id = ?3";
  if (filter.execution_id) sql += " AND execution_id = ?4";
  if (filter.result) sql += " AND result = ?5";
  sql += " ORDER BY id LIMIT ?6";
  return Read(kOp, [&](Connection& c) -> Result<std::vector<Run>> {
    NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(kOp, sql));
    st.Bind(1, project_id).Bind(2, page.after_id).Bind(6, limit);
    if (filter.test_id) st.Bind(3, *filter.test_id);
    if (filter.execution_id) st.Bind(4, *filter.execution_id);
    if (filter.result) st.Bind(5, RunResultName(*filter.result));
    std::vector<Run> out;
    for (;;) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      NEXUS_ASSIGN_OR_RETURN(Run r, ReadRun(st, kOp));
      out.push_back(std::move(r));
    }
    return out;
  });
}

Result<Run> SqliteStore::UpdateRun(const Run& run) {
  constexpr std::string_view kOp = "update run";
  return Write(kOp, [&](Connection& c) -> Result<Run> {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "UPDATE runs SET result = ?1, bug_label = ?2, finished_at = ?3, summary = ?4, "
                  "updated_at = ?5 WHERE id = ?6 AND project_id = ?7"));
    st.Bind(1, RunResultName(run.result))
        .Bind(2, BugLabelName(run.bug_label))
        .Bind(3, run.finished_at)
        .Bind(4, run.summary)
        .Bind(5, run.updated_at)
        .Bind(6, run.id)
        .Bind(7, run.project_id);
    NEXUS_RETURN_IF_ERROR(st.Run());
    if (st.Changes() == 0) return NotFound("run not found");
    return LoadRun(c, run.project_id, run.id);
  });
}

// ---- Plans.

Result<TestPlan> SqliteStore::CreatePlan(const TestPlan& plan) {
  constexpr std::string_view kOp = "create plan";
  std::set<int64_t> seen;
  for (size_t i = 0; i < plan.test_ids.size(); ++i) {
    if (!seen.insert(plan.test_ids[i]).second) {
      return InvalidArgument("a test appears twice in the plan",
                             "test_ids[" + std::to_string(i) + "]", "duplicate");
    }
  }
  return Write(kOp, [&](Connection& c) -> Result<TestPlan> {
    NEXUS_ASSIGN_OR_RETURN(bool exists,
                           Exists(c, kOp, "SELECT 1 FROM projects WHERE id = ?1", plan.project_id));
    if (!exists) return NotFound("project not found", "project_id");
    NEXUS_RETURN_IF_ERROR(CheckTestIds(c, kOp, plan.project_id, plan.test_ids, true));
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "INSERT INTO test_plans (project_id, name, created_at) VALUES (?1, ?2, ?3)"));
    st.Bind(1, plan.project_id).Bind(2, plan.name).Bind(3, plan.created_at);
    NEXUS_RETURN_IF_ERROR(st.Run());
    int64_t id = sqlite3_last_insert_rowid(c.handle());
    NEXUS_RETURN_IF_ERROR(InsertTestIds(
        c, kOp, "INSERT INTO plan_tests (plan_id, position, test_id) VALUES (?1, ?2, ?3)", id,
        plan.test_ids));
    return LoadPlan(c, plan.project_id, id);
  });
}

Result<TestPlan> SqliteStore::GetPlan(int64_t project_id, int64_t plan_id) {
  return Read("get plan", [&](Connection& c) { return LoadPlan(c, project_id, plan_id); });
}

Result<std::vector<TestPlan>> SqliteStore::ListPlans(int64_t project_id, const PageRequest& page) {
  constexpr std::string_view kOp = "list plans";
  NEXUS_ASSIGN_OR_RETURN(int limit, PageLimit(page));
  return Read(kOp, [&](Connection& c) -> Result<std::vector<TestPlan>> {
    std::vector<TestPlan> out;
    {
      NEXUS_ASSIGN_OR_RETURN(Statement st,
                             c.Prepare(kOp,
                                       "SELECT id, project_id, name, created_at FROM test_plans "
                                       "WHERE project_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"));
      st.Bind(1, project_id).Bind(2, page.after_id).Bind(3, limit);
      for (;;) {
        NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        out.push_back(TestPlan{st.Int64(0), st.Int64(1), st.Text(2), {}, st.Int64(3)});
      }
    }
    if (out.empty()) return out;
    NEXUS_ASSIGN_OR_RETURN(
        Statement st, c.Prepare(kOp,
                                "SELECT plan_id, test_id FROM plan_tests WHERE plan_id >= ?1 AND "
                                "plan_id <= ?2 ORDER BY plan_id, position"));
    st.Bind(1, out.front().id).Bind(2, out.back().id);
    std::unordered_map<int64_t, std::vector<int64_t>> lists;
    NEXUS_RETURN_IF_ERROR(ReadTestIdLists(st, lists));
    for (TestPlan& p : out) p.test_ids = std::move(lists[p.id]);
    return out;
  });
}

// ---- Executions.

Result<Execution> SqliteStore::CreateExecution(const Execution& execution) {
  constexpr std::string_view kOp = "create execution";
  return Write(kOp, [&](Connection& c) -> Result<Execution> {
    NEXUS_ASSIGN_OR_RETURN(
        bool plan_exists,
        Exists(c, kOp, "SELECT 1 FROM test_plans WHERE id = ?1 AND project_id = ?2",
               execution.plan_id, execution.project_id));
    if (!plan_exists) return NotFound("test plan not found", "plan_id");
    NEXUS_RETURN_IF_ERROR(
        CheckTestIds(c, kOp, execution.project_id, execution.test_ids, /*live_only=*/false));
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "INSERT INTO executions (project_id, plan_id, state, created_at, completed_at) "
                  "VALUES (?1, ?2, ?3, ?4, ?5)"));
    st.Bind(1, execution.project_id)
        .Bind(2, execution.plan_id)
        .Bind(3, ExecutionStateName(execution.state))
        .Bind(4, execution.created_at)
        .Bind(5, execution.completed_at);
    NEXUS_RETURN_IF_ERROR(st.Run());
    int64_t id = sqlite3_last_insert_rowid(c.handle());
    NEXUS_RETURN_IF_ERROR(InsertTestIds(
        c, kOp, "INSERT INTO execution_tests (execution_id, position, test_id) VALUES (?1, ?2, ?3)",
        id, execution.test_ids));
    return LoadExecution(c, execution.project_id, id);
  });
}

Result<Execution> SqliteStore::GetExecution(int64_t project_id, int64_t execution_id) {
  return Read("get execution",
              [&](Connection& c) { return LoadExecution(c, project_id, execution_id); });
}

Result<std::vector<Execution>> SqliteStore::ListExecutions(int64_t project_id,
                                                           const PageRequest& page) {
  constexpr std::string_view kOp = "list executions";
  NEXUS_ASSIGN_OR_RETURN(int limit, PageLimit(page));
  return Read(kOp, [&](Connection& c) -> Result<std::vector<Execution>> {
    std::vector<Execution> out;
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp, std::string(kExecutionCols) +
                             " WHERE project_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"));
      st.Bind(1, project_id).Bind(2, page.after_id).Bind(3, limit);
      for (;;) {
        NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        NEXUS_ASSIGN_OR_RETURN(Execution e, ReadExecution(st, kOp));
        out.push_back(std::move(e));
      }
    }
    if (out.empty()) return out;
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "SELECT execution_id, test_id FROM execution_tests WHERE execution_id >= ?1 "
                  "AND execution_id <= ?2 ORDER BY execution_id, position"));
    st.Bind(1, out.front().id).Bind(2, out.back().id);
    std::unordered_map<int64_t, std::vector<int64_t>> lists;
    NEXUS_RETURN_IF_ERROR(ReadTestIdLists(st, lists));
    for (Execution& e : out) e.test_ids = std::move(lists[e.id]);
    return out;
  });
}

Result<ExecutionState> SqliteStore::SetExecutionState(int64_t project_id, int64_t execution_id,
                                                      ExecutionState state,
                                                      std::optional<TimeMs> completed_at) {
  constexpr std::string_view kOp = "set execution state";
  return Write(kOp, [&](Connection& c) -> Result<ExecutionState> {
    ExecutionState previous;
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp, "SELECT state FROM executions WHERE id = ?1 AND project_id = ?2"));
      st.Bind(1, execution_id).Bind(2, project_id);
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return NotFound("execution not found");
      auto parsed = ParseExecutionState(st.Text(0));
      if (!parsed) return Corrupt(kOp, "execution state");
      previous = *parsed;
    }
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp, "UPDATE executions SET state = ?1, completed_at = ?2 WHERE id = ?3"));
    st.Bind(1, ExecutionStateName(state)).Bind(2, completed_at).Bind(3, execution_id);
    NEXUS_RETURN_IF_ERROR(st.Run());
    return previous;
  });
}

// ---- Factories.

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path) {
  NEXUS_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store, SqliteStore::Open(path));
  return std::unique_ptr<Store>(std::move(store));
}

Result<std::unique_ptr<Store>> OpenStore(const std::string& db_url) {
  constexpr std::string_view kSqlite = "sqlite:";
  if (db_url.empty()) return InvalidArgument("the database URL is empty", "db");
  if (db_url.starts_with(kSqlite)) {
    std::string rest = db_url.substr(kSqlite.size());
    if (rest.starts_with("//")) {  // sqlite:///abs/path — an empty authority only
      rest = rest.substr(2);
      if (!rest.starts_with("/") && rest != ":memory:") {
        return InvalidArgument("sqlite URLs take an absolute path: sqlite:///path/to/nexus.db",
                               "db");
      }
    }
    if (rest.empty()) return InvalidArgument("the sqlite URL names no file", "db");
    return OpenSqliteStore(rest);
  }
  auto scheme_end = db_url.find("://");
  if (scheme_end != std::string::npos) {
    std::string scheme = db_url.substr(0, scheme_end);
    if (scheme == "postgres" || scheme == "postgresql") {
      return InvalidArgument("PostgreSQL support is not built in yet; use sqlite:///path", "db",
                             "unsupported_database");
    }
    return InvalidArgument("unknown database URL scheme \"" + scheme + "\"", "db",
                           "unsupported_database");
  }
  return OpenSqliteStore(db_url);
}

}  // namespace nexus
