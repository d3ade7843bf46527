// SqliteStore: the catalog role (catalog_store.h): the TestRail catalog and links (migration
// 0004_catalog_links_jobs.sql). A suite's sync result is applied in one write
// transaction, so readers see the previous catalog or the new one, never a mix.
#include <algorithm>
#include <set>
#include <unordered_set>

#include "storage/sqlite_conn.h"
#include "storage/sqlite_store.h"

namespace nexus {
namespace {

using sqlite::Connection;
using sqlite::Statement;

Status RequireProject(Connection& c, std::string_view op, int64_t project_id) {
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, "SELECT 1 FROM projects WHERE id = ?1"));
  st.Bind(1, project_id);
  NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("project " + std::to_string(project_id) + " not found", "project_id");
  return Status::Ok();
}

Status RequireTest(Connection& c, std::string_view op, int64_t project_id, int64_t test_id) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(op,
                "SELECT 1 FROM tests WHERE id = ?1 AND project_id = ?2 AND deleted_at IS NULL"));
  st.Bind(1, test_id).Bind(2, project_id);
  NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("test " + std::to_string(test_id) + " not found", "test_id");
  return Status::Ok();
}

constexpr char kCaseCols[] =
    "SELECT case_id, suite_id, section_id, title, refs, created_on, updated_on, display_order, "
    "is_deleted, deleted_at FROM testrail_catalog_cases ";

CatalogCaseRecord ReadCase(const Statement& st) {
  CatalogCaseRecord r;
  r.id = st.Int64(0);
  r.suite_id = st.Int64(1);
  r.section_id = st.Int64(2);
  r.title = st.Text(3);
  r.refs = st.Text(4);
  r.created_on = st.Int64(5);
  r.updated_on = st.Int64(6);
  r.display_order = st.Int64(7);
  r.is_deleted = st.Bool(8);
  r.deleted_at = st.OptInt64(9);
  return r;
}

// Removes step-level links whose step is no longer part of the test.
Status PruneOrphanStepLinks(Connection& c, std::string_view op, int64_t test_id) {
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(op,
                "DELETE FROM testrail_links WHERE test_id = ?1 AND step_id <> '' AND NOT EXISTS "
                "(SELECT 1 FROM test_steps s WHERE s.test_id = testrail_links.test_id AND "
                "s.step_id = testrail_links.step_id)"));
  return st.Bind(1, test_id).Run();
}

Result<int64_t> CatalogUpdatedOn(Connection& c, std::string_view op, int64_t project_id,
                                 int64_t case_id) {
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op,
                                                 "SELECT updated_on FROM testrail_catalog_cases "
                                                 "WHERE project_id = ?1 AND case_id = ?2"));
  st.Bind(1, project_id).Bind(2, case_id);
  NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int64(0) : int64_t{0};
}

// Links visible for a test: test level, and steps that still exist.
constexpr char kLiveLinkFilter[] =
    "(l.step_id = '' OR EXISTS (SELECT 1 FROM test_steps s WHERE s.test_id = l.test_id AND "
    "s.step_id = l.step_id))";

// ---- ApplyCatalogSuite, step by step (all inside its write transaction).

// Upserts the suite row: name, high water (raised, or set by a full sync), the sync stamp.
Status UpsertCatalogSuite(Connection& c, std::string_view op, int64_t project_id,
                          const CatalogSuiteUpdate& u, TimeMs now) {
  int64_t high = 0;
  for (const auto& cs : u.cases) high = std::max(high, cs.updated_on);
  NEXUS_ASSIGN_OR_RETURN(
      Statement st,
      c.Prepare(op,
                "INSERT INTO testrail_catalog_suites (project_id, suite_id, name, "
                "high_water_updated_on, last_full_sync_at, last_incremental_at) VALUES (?1, "
                "?2, ?3, ?4, ?5, ?6) ON CONFLICT (project_id, suite_id) DO UPDATE SET name = "
                "excluded.name, high_water_updated_on = CASE WHEN ?7 <> 0 OR "
                "excluded.high_water_updated_on > testrail_catalog_suites.high_water_updated_on "
                "THEN excluded.high_water_updated_on ELSE "
                "testrail_catalog_suites.high_water_updated_on END, last_full_sync_at = "
                "COALESCE(excluded.last_full_sync_at, testrail_catalog_suites.last_full_sync_at), "
                "last_incremental_at = COALESCE(excluded.last_incremental_at, "
                "testrail_catalog_suites.last_incremental_at)"));
  st.Bind(1, project_id).Bind(2, u.suite_id).Bind(3, u.name).Bind(4, high).Bind(7, u.full);
  if (u.full) {
    st.Bind(5, now).BindNull(6);
  } else {
    st.BindNull(5).Bind(6, now);
  }
  return st.Run();
}

// Replaces the suite's sections with u.sections.
Status ReplaceCatalogSections(Connection& c, std::string_view op, int64_t project_id,
                              const CatalogSuiteUpdate& u) {
  {
    NEXUS_ASSIGN_OR_RETURN(Statement del,
                           c.Prepare(op,
                                     "DELETE FROM testrail_catalog_sections WHERE project_id = ?1 "
                                     "AND suite_id = ?2"));
    NEXUS_RETURN_IF_ERROR(del.Bind(1, project_id).Bind(2, u.suite_id).Run());
  }
  for (const auto& s : u.sections) {
    NEXUS_ASSIGN_OR_RETURN(
        Statement ins,
        c.Prepare(op,
                  "INSERT INTO testrail_catalog_sections (project_id, section_id, suite_id, "
                  "parent_id, name, depth, display_order) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                  "ON CONFLICT (project_id, section_id) DO UPDATE SET suite_id = "
                  "excluded.suite_id, parent_id = excluded.parent_id, name = excluded.name, "
                  "depth = excluded.depth, display_order = excluded.display_order"));
    NEXUS_RETURN_IF_ERROR(ins.Bind(1, project_id)
                              .Bind(2, s.id)
                              .Bind(3, u.suite_id)
                              .Bind(4, s.parent_id)
                              .Bind(5, s.name)
                              .Bind(6, s.depth)
                              .Bind(7, s.display_order)
                              .Run());
  }
  return Status::Ok();
}

// Upserts u.cases (a case seen again is live again; one listed under another suite moves).
Status UpsertCatalogCases(Connection& c, std::string_view op, int64_t project_id,
                          const CatalogSuiteUpdate& u) {
  for (const auto& cs : u.cases) {
    NEXUS_ASSIGN_OR_RETURN(
        Statement ins,
        c.Prepare(op,
                  "INSERT INTO testrail_catalog_cases (project_id, case_id, suite_id, "
                  "section_id, title, refs, created_on, updated_on, display_order, is_deleted, "
                  "deleted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, FALSE, NULL) ON "
                  "CONFLICT (project_id, case_id) DO UPDATE SET suite_id = excluded.suite_id, "
                  "section_id = excluded.section_id, title = excluded.title, refs = "
                  "excluded.refs, created_on = excluded.created_on, updated_on = "
                  "excluded.updated_on, display_order = excluded.display_order, is_deleted = "
                  "FALSE, deleted_at = NULL"));
    NEXUS_RETURN_IF_ERROR(ins.Bind(1, project_id)
                              .Bind(2, cs.id)
                              .Bind(3, u.suite_id)
                              .Bind(4, cs.section_id)
                              .Bind(5, cs.title)
                              .Bind(6, cs.refs)
                              .Bind(7, cs.created_on)
                              .Bind(8, cs.updated_on)
                              .Bind(9, cs.display_order)
                              .Run());
  }
  return Status::Ok();
}

// After a full sync: marks every live case of the suite that u.cases does not list deleted.
Status MarkUnlistedCasesDeleted(Connection& c, std::string_view op, int64_t project_id,
                                const CatalogSuiteUpdate& u, TimeMs now) {
  std::unordered_set<int64_t> listed;
  listed.reserve(u.cases.size());
  for (const auto& cs : u.cases) listed.insert(cs.id);
  std::vector<int64_t> gone;
  {
    NEXUS_ASSIGN_OR_RETURN(Statement q,
                           c.Prepare(op,
                                     "SELECT case_id FROM testrail_catalog_cases WHERE project_id "
                                     "= ?1 AND suite_id = ?2 AND is_deleted = 0"));
    q.Bind(1, project_id).Bind(2, u.suite_id);
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      if (!listed.count(q.Int64(0))) gone.push_back(q.Int64(0));
    }
  }
  for (int64_t id : gone) {
    NEXUS_ASSIGN_OR_RETURN(Statement up,
                           c.Prepare(op,
                                     "UPDATE testrail_catalog_cases SET is_deleted = TRUE, "
                                     "deleted_at = ?3 WHERE project_id = ?1 AND case_id = ?2"));
    NEXUS_RETURN_IF_ERROR(up.Bind(1, project_id).Bind(2, id).Bind(3, now).Run());
  }
  return Status::Ok();
}

// Marks these cases of the project deleted; returns how many were live.
Result<int64_t> MarkCasesDeleted(Connection& c, std::string_view op, int64_t project_id,
                                 const std::vector<int64_t>& case_ids, TimeMs now) {
  int64_t changed = 0;
  for (int64_t id : std::set<int64_t>(case_ids.begin(), case_ids.end())) {
    NEXUS_ASSIGN_OR_RETURN(Statement up,
                           c.Prepare(op,
                                     "UPDATE testrail_catalog_cases SET is_deleted = TRUE, "
                                     "deleted_at = ?3 WHERE project_id = ?1 AND case_id = ?2 "
                                     "AND is_deleted = 0 RETURNING case_id"));
    up.Bind(1, project_id).Bind(2, id).Bind(3, now);
    NEXUS_ASSIGN_OR_RETURN(bool row, up.Step());
    if (row) ++changed;  // one row at most (the primary key)
  }
  return changed;
}

}  // namespace

Status SqliteStore::ApplyCatalogSuite(int64_t project_id, const CatalogSuiteUpdate& u, TimeMs now) {
  constexpr std::string_view kOp = "apply catalog suite";
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_RETURN_IF_ERROR(RequireProject(c, kOp, project_id));
    NEXUS_RETURN_IF_ERROR(UpsertCatalogSuite(c, kOp, project_id, u, now));
    NEXUS_RETURN_IF_ERROR(ReplaceCatalogSections(c, kOp, project_id, u));
    NEXUS_RETURN_IF_ERROR(UpsertCatalogCases(c, kOp, project_id, u));
    if (u.full) NEXUS_RETURN_IF_ERROR(MarkUnlistedCasesDeleted(c, kOp, project_id, u, now));
    if (!u.deleted_case_ids.empty())
      NEXUS_RETURN_IF_ERROR(MarkCasesDeleted(c, kOp, project_id, u.deleted_case_ids, now).status());
    return Status::Ok();
  });
}

Result<int64_t> SqliteStore::MarkCatalogCasesDeleted(int64_t project_id,
                                                     const std::vector<int64_t>& case_ids,
                                                     TimeMs now) {
  constexpr std::string_view kOp = "mark catalog cases deleted";
  int64_t changed = 0;
  Status s = WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_RETURN_IF_ERROR(RequireProject(c, kOp, project_id));
    NEXUS_ASSIGN_OR_RETURN(changed, MarkCasesDeleted(c, kOp, project_id, case_ids, now));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return changed;
}

Result<std::vector<int64_t>> SqliteStore::ListLinkedCaseIds(int64_t project_id) {
  constexpr std::string_view kOp = "list linked case ids";
  std::vector<int64_t> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp, std::string("SELECT DISTINCT l.case_id FROM testrail_links l JOIN tests t "
                                   "ON t.id = l.test_id WHERE l.project_id = ?1 AND "
                                   "t.deleted_at IS NULL AND ") +
                           kLiveLinkFilter + " ORDER BY l.case_id"));
    st.Bind(1, project_id);
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(st.Int64(0));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<CatalogSuiteRecord>> SqliteStore::ListCatalogSuites(int64_t project_id) {
  constexpr std::string_view kOp = "list catalog suites";
  std::vector<CatalogSuiteRecord> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "SELECT suite_id, name, high_water_updated_on, last_full_sync_at, "
                  "last_incremental_at FROM testrail_catalog_suites WHERE project_id = ?1 "
                  "ORDER BY suite_id"));
    st.Bind(1, project_id);
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back({st.Int64(0), st.Text(1), st.Int64(2), st.OptInt64(3), st.OptInt64(4)});
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<CatalogSectionRecord>> SqliteStore::ListCatalogSections(
    int64_t project_id, std::optional<int64_t> suite_id) {
  constexpr std::string_view kOp = "list catalog sections";
  std::vector<CatalogSectionRecord> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "SELECT section_id, suite_id, parent_id, name, depth, display_order FROM "
                  "testrail_catalog_sections WHERE project_id = ?1 AND (CAST(?2 AS BIGINT) IS "
                  "NULL OR suite_id = ?2) ORDER BY suite_id, display_order, section_id"));
    st.Bind(1, project_id).Bind(2, suite_id);
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back({st.Int64(0), st.Int64(1), st.OptInt64(2), st.Text(3),
                     static_cast<int>(st.Int64(4)), st.Int64(5)});
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<CatalogCaseRecord>> SqliteStore::ListCatalogCases(int64_t project_id) {
  constexpr std::string_view kOp = "list catalog cases";
  std::vector<CatalogCaseRecord> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp, std::string(kCaseCols) + "WHERE project_id = ?1 ORDER BY case_id"));
    st.Bind(1, project_id);
    while (true) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(ReadCase(st));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<CatalogCaseRecord>> SqliteStore::GetCatalogCases(
    int64_t project_id, const std::vector<int64_t>& case_ids) {
  constexpr std::string_view kOp = "get catalog cases";
  std::set<int64_t> ids(case_ids.begin(), case_ids.end());
  std::vector<CatalogCaseRecord> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    for (int64_t id : ids) {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp, std::string(kCaseCols) + "WHERE project_id = ?1 AND case_id = ?2"));
      st.Bind(1, project_id).Bind(2, id);
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (row) out.push_back(ReadCase(st));
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<CatalogStateRecord>> SqliteStore::GetCatalogState(int64_t project_id) {
  constexpr std::string_view kOp = "get catalog state";
  std::optional<CatalogStateRecord> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare(kOp,
                                     "SELECT state, last_full_sync_at, last_incremental_at, "
                                     "last_attempt_at, last_error, updated_at FROM "
                                     "testrail_catalog_state WHERE project_id = ?1"));
    st.Bind(1, project_id);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) return Status::Ok();
    CatalogStateRecord r;
    r.state = st.Text(0);
    r.last_full_sync_at = st.OptInt64(1);
    r.last_incremental_at = st.OptInt64(2);
    r.last_attempt_at = st.OptInt64(3);
    r.last_error = st.IsNull(4) ? std::string() : st.Text(4);
    r.updated_at = st.Int64(5);
    out = std::move(r);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Status SqliteStore::SaveCatalogState(int64_t project_id, const CatalogStateRecord& r) {
  constexpr std::string_view kOp = "save catalog state";
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_RETURN_IF_ERROR(RequireProject(c, kOp, project_id));
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "INSERT INTO testrail_catalog_state (project_id, state, last_full_sync_at, "
                  "last_incremental_at, last_attempt_at, last_error, updated_at) VALUES (?1, ?2, "
                  "?3, ?4, ?5, ?6, ?7) ON CONFLICT (project_id) DO UPDATE SET state = "
                  "excluded.state, last_full_sync_at = excluded.last_full_sync_at, "
                  "last_incremental_at = excluded.last_incremental_at, last_attempt_at = "
                  "excluded.last_attempt_at, last_error = excluded.last_error, updated_at = "
                  "excluded.updated_at"));
    st.Bind(1, project_id)
        .Bind(2, r.state)
        .Bind(3, r.last_full_sync_at)
        .Bind(4, r.last_incremental_at)
        .Bind(5, r.last_attempt_at)
        .Bind(7, r.updated_at);
    if (r.last_error.empty())
      st.BindNull(6);
    else
      st.Bind(6, r.last_error);
    return st.Run();
  });
}

Status SqliteStore::ReplaceTestRailLinks(int64_t project_id, int64_t test_id,
                                         const std::string& step_id,
                                         const std::vector<int64_t>& case_ids, TimeMs now) {
  constexpr std::string_view kOp = "replace testrail links";
  std::set<int64_t> wanted(case_ids.begin(), case_ids.end());
  return WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_RETURN_IF_ERROR(RequireTest(c, kOp, project_id, test_id));
    if (!step_id.empty()) {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp, "SELECT 1 FROM test_steps WHERE test_id = ?1 AND step_id = ?2"));
      st.Bind(1, test_id).Bind(2, step_id);
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) return NotFound("step '" + step_id + "' not found in the test", "step_id");
    }
    NEXUS_RETURN_IF_ERROR(PruneOrphanStepLinks(c, kOp, test_id));
    std::set<int64_t> existing;
    {
      NEXUS_ASSIGN_OR_RETURN(
          Statement q,
          c.Prepare(kOp, "SELECT case_id FROM testrail_links WHERE test_id = ?1 AND step_id = ?2"));
      q.Bind(1, test_id).Bind(2, step_id);
      while (true) {
        NEXUS_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        existing.insert(q.Int64(0));
      }
    }
    for (int64_t id : existing) {
      if (wanted.count(id)) continue;
      NEXUS_ASSIGN_OR_RETURN(
          Statement del,
          c.Prepare(kOp,
                    "DELETE FROM testrail_links WHERE test_id = ?1 AND step_id = ?2 AND case_id "
                    "= ?3"));
      NEXUS_RETURN_IF_ERROR(del.Bind(1, test_id).Bind(2, step_id).Bind(3, id).Run());
    }
    for (int64_t id : wanted) {
      if (existing.count(id)) continue;
      NEXUS_ASSIGN_OR_RETURN(int64_t baseline, CatalogUpdatedOn(c, kOp, project_id, id));
      NEXUS_ASSIGN_OR_RETURN(
          Statement ins,
          c.Prepare(kOp,
                    "INSERT INTO testrail_links (project_id, test_id, step_id, case_id, "
                    "linked_at, baseline_updated_on) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
      NEXUS_RETURN_IF_ERROR(ins.Bind(1, project_id)
                                .Bind(2, test_id)
                                .Bind(3, step_id)
                                .Bind(4, id)
                                .Bind(5, now)
                                .Bind(6, baseline)
                                .Run());
    }
    return Status::Ok();
  });
}

Result<std::vector<TestRailLinkRecord>> SqliteStore::ListTestRailLinks(
    int64_t project_id, const std::vector<int64_t>& test_ids) {
  constexpr std::string_view kOp = "list testrail links";
  std::set<int64_t> ids(test_ids.begin(), test_ids.end());
  std::vector<TestRailLinkRecord> out;
  Status s = ReadTx(kOp, [&](Connection& c) -> Status {
    for (int64_t test_id : ids) {
      NEXUS_ASSIGN_OR_RETURN(
          Statement st,
          c.Prepare(kOp, std::string("SELECT l.test_id, l.step_id, l.case_id, l.linked_at, "
                                     "l.acknowledged_at, l.baseline_updated_on FROM "
                                     "testrail_links l JOIN tests t ON t.id = l.test_id WHERE "
                                     "l.project_id = ?1 AND l.test_id = ?2 AND t.deleted_at IS "
                                     "NULL AND ") +
                             kLiveLinkFilter + " ORDER BY l.step_id, l.case_id"));
      st.Bind(1, project_id).Bind(2, test_id);
      while (true) {
        NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        out.push_back(
            {st.Int64(0), st.Text(1), st.Int64(2), st.Int64(3), st.OptInt64(4), st.Int64(5)});
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<int64_t> SqliteStore::AcknowledgeTestRailLinks(int64_t project_id, int64_t test_id,
                                                      const std::vector<int64_t>& case_ids,
                                                      TimeMs now) {
  constexpr std::string_view kOp = "acknowledge testrail links";
  std::set<int64_t> ids(case_ids.begin(), case_ids.end());
  int64_t changed = 0;
  Status s = WriteTx(kOp, [&](Connection& c) -> Status {
    NEXUS_RETURN_IF_ERROR(RequireTest(c, kOp, project_id, test_id));
    for (int64_t id : ids) {
      NEXUS_ASSIGN_OR_RETURN(int64_t baseline, CatalogUpdatedOn(c, kOp, project_id, id));
      NEXUS_ASSIGN_OR_RETURN(
          Statement up,
          c.Prepare(kOp,
                    "UPDATE testrail_links SET acknowledged_at = ?4, baseline_updated_on = ?5 "
                    "WHERE project_id = ?1 AND test_id = ?2 AND case_id = ?3"));
      NEXUS_RETURN_IF_ERROR(
          up.Bind(1, project_id).Bind(2, test_id).Bind(3, id).Bind(4, now).Bind(5, baseline).Run());
      changed += up.Changes();
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return changed;
}

Result<int64_t> SqliteStore::CountTestRailLinkedCases(int64_t project_id, int64_t test_id) {
  NEXUS_ASSIGN_OR_RETURN(auto counts,
                         CountTestRailLinkedCasesInRange(project_id, test_id, test_id));
  auto it = counts.find(test_id);
  return it == counts.end() ? 0 : it->second;
}

Result<std::map<int64_t, int64_t>> SqliteStore::CountTestRailLinkedCasesInRange(
    int64_t project_id, int64_t first_test_id, int64_t last_test_id) {
  constexpr std::string_view kOp = "count testrail links";
  std::map<int64_t, int64_t> out;
  Status s = ReadOneTx(kOp, [&](Connection& c) -> Status {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp, std::string("SELECT l.test_id, COUNT(DISTINCT l.case_id) FROM "
                                   "testrail_links l WHERE l.project_id = ?1 AND l.test_id "
                                   "BETWEEN ?2 AND ?3 AND ") +
                           kLiveLinkFilter + " GROUP BY l.test_id"));
    st.Bind(1, project_id).Bind(2, first_test_id).Bind(3, last_test_id);
    for (;;) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out[st.Int64(0)] = st.Int64(1);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace nexus
