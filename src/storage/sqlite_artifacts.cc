// SqliteStore: the run artifacts role (artifact_store.h, migration 0010_artifacts.sql).
#include "storage/sqlite_helpers.h"

namespace nexus {
namespace {

using sqlite::Connection;
using sqlite::Exists;
using sqlite::Statement;

constexpr char kArtifactCols[] =
    "SELECT id, project_id, run_id, name, media_type, size, sha256, step_id, created_by, "
    "created_at FROM artifacts ";

Artifact ReadArtifact(const Statement& st) {
  Artifact a;
  a.id = st.Int64(0);
  a.project_id = st.Int64(1);
  a.run_id = st.Int64(2);
  a.name = st.Text(3);
  a.media_type = st.Text(4);
  a.size = st.Int64(5);
  a.sha256 = st.Text(6);
  a.step_id = st.Text(7);
  a.created_by = st.OptInt64(8);
  a.created_at = st.Int64(9);
  return a;
}

Result<Artifact> LoadArtifact(Connection& c, std::string_view op, int64_t project_id,
                              int64_t artifact_id) {
  NEXUS_ASSIGN_OR_RETURN(Statement st, c.Prepare(op, std::string(kArtifactCols) +
                                                         "WHERE id = ?1 AND project_id = ?2"));
  st.Bind(1, artifact_id).Bind(2, project_id);
  NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("artifact not found");
  return ReadArtifact(st);
}

}  // namespace

Result<Artifact> SqliteStore::CreateArtifact(const Artifact& a) {
  constexpr std::string_view kOp = "create artifact";
  return Write(kOp, [&](Connection& c) -> Result<Artifact> {
    NEXUS_ASSIGN_OR_RETURN(bool run_exists,
                           Exists(c, kOp, "SELECT 1 FROM runs WHERE id = ?1 AND project_id = ?2",
                                  a.run_id, a.project_id));
    if (!run_exists) return NotFound("run not found", "run_id");
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp,
                  "INSERT INTO artifacts (project_id, run_id, name, media_type, size, sha256, "
                  "step_id, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                  "RETURNING id"));
    st.Bind(1, a.project_id)
        .Bind(2, a.run_id)
        .Bind(3, a.name)
        .Bind(4, a.media_type)
        .Bind(5, a.size)
        .Bind(6, a.sha256)
        .Bind(7, a.step_id)
        .Bind(8, a.created_by)
        .Bind(9, a.created_at);
    NEXUS_ASSIGN_OR_RETURN(int64_t id, sqlite::InsertReturningId(st));
    return LoadArtifact(c, kOp, a.project_id, id);
  });
}

Result<Artifact> SqliteStore::GetArtifact(int64_t project_id, int64_t artifact_id) {
  constexpr std::string_view kOp = "get artifact";
  return Read(kOp, [&](Connection& c) { return LoadArtifact(c, kOp, project_id, artifact_id); });
}

Result<std::vector<Artifact>> SqliteStore::ListArtifacts(int64_t project_id, int64_t run_id) {
  constexpr std::string_view kOp = "list artifacts";
  return Read(kOp, [&](Connection& c) -> Result<std::vector<Artifact>> {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare(kOp, std::string(kArtifactCols) +
                                              "WHERE project_id = ?1 AND run_id = ?2 ORDER BY id"));
    st.Bind(1, project_id).Bind(2, run_id);
    std::vector<Artifact> out;
    for (;;) {
      NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      out.push_back(ReadArtifact(st));
    }
    return out;
  });
}

Result<Artifact> SqliteStore::DeleteArtifact(int64_t project_id, int64_t artifact_id) {
  constexpr std::string_view kOp = "delete artifact";
  return Write(kOp, [&](Connection& c) -> Result<Artifact> {
    NEXUS_ASSIGN_OR_RETURN(Artifact a, LoadArtifact(c, kOp, project_id, artifact_id));
    NEXUS_ASSIGN_OR_RETURN(
        Statement st, c.Prepare(kOp, "DELETE FROM artifacts WHERE id = ?1 AND project_id = ?2"));
    st.Bind(1, artifact_id).Bind(2, project_id);
    NEXUS_RETURN_IF_ERROR(st.Run());
    return a;
  });
}

Result<int64_t> SqliteStore::CountArtifactsWithBlob(const std::string& sha256) {
  constexpr std::string_view kOp = "count artifacts of a blob";
  return Read(kOp, [&](Connection& c) -> Result<int64_t> {
    NEXUS_ASSIGN_OR_RETURN(Statement st,
                           c.Prepare(kOp, "SELECT COUNT(*) FROM artifacts WHERE sha256 = ?1"));
    st.Bind(1, sha256);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    return row ? st.Int64(0) : 0;
  });
}

Result<int64_t> SqliteStore::ProjectArtifactBytes(int64_t project_id) {
  constexpr std::string_view kOp = "project artifact bytes";
  return Read(kOp, [&](Connection& c) -> Result<int64_t> {
    NEXUS_ASSIGN_OR_RETURN(
        Statement st,
        c.Prepare(kOp, "SELECT COALESCE(SUM(size), 0) FROM artifacts WHERE project_id = ?1"));
    st.Bind(1, project_id);
    NEXUS_ASSIGN_OR_RETURN(bool row, st.Step());
    return row ? st.Int64(0) : 0;
  });
}

}  // namespace nexus
