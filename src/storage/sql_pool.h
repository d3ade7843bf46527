// Connection pools of the SQL store: where a transaction gets its connection. SQLite has one
// writer (behind a mutex, since SQLite has one writer per file anyway) plus read-only readers;
// PostgreSQL a bounded pool of equal connections (writers serialize on the database side, see
// pg_conn.h). Internal to storage/.
#pragma once

#include <memory>
#include <utility>

#include "core/status.h"
#include "storage/sql_conn.h"

namespace nexus::sql {

class ConnectionPool {
 public:
  virtual ~ConnectionPool() = default;
  virtual Dialect dialect() const = 0;
  // A connection for one transaction (blocks while the pool is exhausted). Every successful
  // Acquire is paired with one Release of the same connection and `write`.
  virtual Result<Connection*> Acquire(bool write) = 0;
  // Returns the connection; an unhealthy one (Connection::Healthy) is closed, not reused.
  virtual void Release(Connection* conn, bool write) = 0;
};

// RAII Acquire/Release.
class Lease {
 public:
  Lease(ConnectionPool& pool, bool write) : pool_(pool), write_(write) {
    Result<Connection*> c = pool.Acquire(write);
    if (c.ok()) {
      conn_ = *c;
    } else {
      status_ = c.status();
    }
  }
  ~Lease() {
    if (conn_ != nullptr) pool_.Release(conn_, write_);
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  const Status& status() const { return status_; }
  Connection& conn() const { return *conn_; }

 private:
  ConnectionPool& pool_;
  const bool write_;
  Connection* conn_ = nullptr;
  Status status_;
};

}  // namespace nexus::sql
