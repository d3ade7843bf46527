// A throwaway PostgreSQL cluster for tests (issue 15): initdb into a temp dir and a postmaster
// listening only on a unix socket in that dir, from Debian's postgresql package. Started once
// per test process on first use, stopped (fast shutdown) and removed at exit — also when the
// test process dies (the postmaster gets SIGQUIT through PR_SET_PDEATHSIG). PostgreSQL refuses
// to run as root, so as root it runs as the `postgres` system user. No server is assumed.
//
// Each Fresh() is an empty schema: a libpq conninfo whose search_path points at a new schema,
// so every test starts from an empty database without the cost of CREATE DATABASE.
#pragma once

#include <fcntl.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace nexus::testing {

class PgTestCluster {
 public:
  // The process-wide cluster, started on first call; error() says why when it could not start.
  static PgTestCluster& Get() {
    static PgTestCluster* cluster = [] {
      auto* c = new PgTestCluster();
      c->Start();
      std::atexit([] { Get().Stop(); });
      return c;
    }();
    return *cluster;
  }

  const std::string& error() const { return error_; }
  bool ok() const { return error_.empty(); }

  // A conninfo for the admin database, default schema.
  std::string AdminConnInfo() const {
    return "host=" + dir_ + " port=" + std::to_string(kPort) + " user=postgres dbname=postgres";
  }
  // A conninfo whose search_path is a new, empty schema; "" (and error() set) on failure.
  std::string Fresh() {
    std::lock_guard<std::mutex> lock(mu_);
    std::string schema = "t" + std::to_string(++schemas_);
    if (!Exec("CREATE SCHEMA " + schema)) return {};
    return AdminConnInfo() + " options='-c search_path=" + schema + "'";
  }
  // Runs one SQL command as the admin; false (error() set) on failure.
  bool Exec(const std::string& sql) {
    PGconn* conn = PQconnectdb(AdminConnInfo().c_str());
    bool ok = PQstatus(conn) == CONNECTION_OK;
    if (ok) {
      PGresult* res = PQexec(conn, sql.c_str());
      ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
      if (!ok) error_ = PQresultErrorMessage(res);
      PQclear(res);
    } else {
      error_ = PQerrorMessage(conn);
    }
    PQfinish(conn);
    return ok;
  }

  void Stop() {
    if (pid_ > 0) {
      ::kill(pid_, SIGINT);  // fast shutdown
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }

 private:
  static constexpr int kPort = 5432;  // only names the socket file in our private dir
  static constexpr const char* kBin = "/usr/lib/postgresql/15/bin/";

  void Start() {
    if (::access((std::string(kBin) + "postgres").c_str(), X_OK) != 0) {
      error_ = std::string(kBin) +
               "postgres not found: install the postgresql package "
               "(scripts/install-deps.sh)";
      return;
    }
    char tmpl[] = "/tmp/nexus_pg_XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      error_ = "mkdtemp failed";
      return;
    }
    dir_ = tmpl;
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (pw == nullptr) {
        error_ = "running as root and there is no postgres user to run PostgreSQL as";
        return;
      }
      uid_ = pw->pw_uid;
      gid_ = pw->pw_gid;
      if (::chown(dir_.c_str(), uid_, gid_) != 0) {
        error_ = "chown of the cluster dir failed";
        return;
      }
    }
    std::string data = dir_ + "/data";
    pid_t initdb = Spawn({std::string(kBin) + "initdb", "-D", data, "-A", "trust", "-U", "postgres",
                          "-E", "UTF8", "--locale=C", "--no-sync"},
                         dir_ + "/initdb.log", /*die_with_parent=*/false);
    int status = 0;
    if (initdb < 0 || ::waitpid(initdb, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
      error_ = "initdb failed (see " + dir_ + "/initdb.log)";
      return;
    }
    pid_ =
        Spawn({std::string(kBin) + "postgres", "-D", data, "-k", dir_, "-p", std::to_string(kPort),
               "-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c",
               "full_page_writes=off", "-c", "max_connections=200"},
              dir_ + "/postgres.log", /*die_with_parent=*/true);
    for (int i = 0; i < 300; ++i) {
      if (PQping(AdminConnInfo().c_str()) == PQPING_OK) return;
      int st = 0;
      if (::waitpid(pid_, &st, WNOHANG) == pid_) {
        pid_ = -1;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    error_ = "the test PostgreSQL did not start (see " + dir_ + "/postgres.log)";
  }

  pid_t Spawn(const std::vector<std::string>& argv, const std::string& log, bool die_with_parent) {
    pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid != 0) return pid;
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      if (uid_ != 0) (void)::fchown(fd, uid_, gid_);
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    if (uid_ != 0 && (::setgid(gid_) != 0 || ::setuid(uid_) != 0)) ::_exit(126);
    // After setuid: a credential change clears the parent-death signal.
    if (die_with_parent) {
      ::prctl(PR_SET_PDEATHSIG, SIGQUIT);
      if (::getppid() != parent) ::_exit(0);
    }
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }

  std::mutex mu_;
  std::string dir_;
  std::string error_;
  pid_t pid_ = -1;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  int schemas_ = 0;
};

}  // namespace nexus::testing
