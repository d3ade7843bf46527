// LISTEN/NOTIFY invalidation of the read cache (see pg_cache_listener.h).
#include "storage/pg_cache_listener.h"

#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "storage/pg_conn.h"
#include "storage/read_cache.h"

namespace nexus::pg {
namespace {

// Drains the notifications libpq has read; true when there was at least one.
bool DrainNotifications(PGconn* conn) {
  bool any = false;
  while (PGnotify* n = PQnotifies(conn)) {
    any = true;
    PQfreemem(n);
  }
  return any;
}

bool ExecOk(PGconn* conn, const char* sql) {
  PGresult* res = PQexec(conn, sql);
  const ExecStatusType st = PQresultStatus(res);
  PQclear(res);
  return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

}  // namespace

CacheListener::CacheListener(std::string conninfo, ReadCache* cache, int ping_ms)
    : conninfo_(std::move(conninfo)), cache_(cache), ping_ms_(std::max(10, ping_ms)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { Run(); });
}

CacheListener::~CacheListener() {
  stop_.store(true);
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t ignored = ::write(wake_fd_, &one, sizeof one);
    (void)ignored;
  }
  if (thread_.joinable()) thread_.join();
  if (wake_fd_ >= 0) ::close(wake_fd_);
  cache_->SetEnabled(false);
}

bool CacheListener::Pause(int ms) {
  pollfd fd{wake_fd_, POLLIN, 0};
  ::poll(&fd, 1, ms);
  return !stop_.load();
}

void CacheListener::Run() {
  int backoff_ms = 100;
  bool warned = false;
  while (!stop_.load()) {
    // The URL (or key=value string) as given, plus a name that shows in pg_stat_activity.
    const char* keys[] = {"dbname", "application_name", nullptr};
    const char* values[] = {conninfo_.c_str(), "nexus cache listener", nullptr};
    PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    const bool listening = conn != nullptr && PQstatus(conn) == CONNECTION_OK &&
                           ExecOk(conn, (std::string("LISTEN ") + kCacheChannel).c_str());
    if (!listening) {
      if (!warned) {
        // PQerrorMessage never holds the password; the URL is not logged.
        spdlog::warn("event=read_cache_disabled why=\"cannot listen for changes: {}\"",
                     conn != nullptr ? PQerrorMessage(conn) : "out of memory");
        warned = true;
      }
      PQfinish(conn);
      cache_->SetEnabled(false);
      if (!Pause(backoff_ms)) return;
      backoff_ms = std::min(backoff_ms * 2, 5000);
      continue;
    }
    // From here on every committed change to a cached table reaches this connection.
    cache_->SetEnabled(true);
    if (warned) spdlog::info("event=read_cache_enabled");
    warned = false;
    backoff_ms = 100;
    while (!stop_.load()) {
      pollfd fds[2] = {{PQsocket(conn), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      const int n = ::poll(fds, 2, ping_ms_);
      if (stop_.load()) break;
      bool ok = true;
      if (n == 0) {
        ok = ExecOk(conn, "SELECT 1");  // idle: is the connection still there?
      } else if (n > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
        ok = PQconsumeInput(conn) == 1;
      }
      if (DrainNotifications(conn)) cache_->InvalidateAll();
      if (!ok || PQstatus(conn) != CONNECTION_OK) break;
    }
    cache_->SetEnabled(false);
    PQfinish(conn);
    if (!stop_.load()) {
      spdlog::warn("event=read_cache_disabled why=\"the listening connection was lost\"");
      warned = true;
      if (!Pause(backoff_ms)) return;
    }
  }
}

}  // namespace nexus::pg
