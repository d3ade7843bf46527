// ReadCache: the identity and project rows every authenticated request reads (who a token or a
// session is, the project, the caller's role in it), kept in memory by a `nexus serve` on
// PostgreSQL so a request costs about one database round trip instead of four (issue 15, REST
// reads on PostgreSQL; docs/storage.md "Read cache").
//
// Staleness is bounded by invalidation, not by time alone:
//  - every write transaction of this process empties the cache when it commits (a token revoked,
//    a membership removed or a project renamed through this instance is seen by its next read);
//  - writes by other processes (other instances, the CLI, an operator's psql) reach it through
//    PostgreSQL LISTEN/NOTIFY: triggers on the cached tables notify at commit (migration 0014)
//    and the listener thread (pg_cache_listener.h) empties the cache when a notification arrives;
//  - while the listener is not connected and listening, the cache is disabled (every read goes
//    to the database); on reconnecting it starts empty;
//  - every entry also expires after `ttl_ms`, a bound should a notification be lost unnoticed.
//
// A read that races with an invalidation never stores what it read: Lookup hands out the
// generation current before the database read (a ticket) and Put drops the value when the
// cache was invalidated since. Only successful reads are cached (an unknown token is never).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/types.h"

namespace nexus {

class ReadCache {
 public:
  template <typename K, typename V>
  class Table {
    friend class ReadCache;
    struct Entry {
      V value;
      std::chrono::steady_clock::time_point expires;
    };
    std::map<K, Entry> entries_;
  };

  // The cached tables (keys: what the store method is called with).
  Table<std::string, User> token_users;  // token hash → user
  Table<int64_t, User> users;            // user id → user
  Table<std::string, Session> sessions;  // session id hash → session
  Table<int64_t, Project> projects;      // project id → project
  Table<std::pair<int64_t, int64_t>, std::optional<ProjectRole>> roles;  // (project, user)
  Table<int64_t, std::vector<Project>> user_projects;  // user id → projects with a membership

  // Each table holds at most `max_entries` (it is emptied when full: tokens are many only
  // under attack, and the rows come back with one read each).
  explicit ReadCache(int64_t ttl_ms, size_t max_entries = 10000)
      : ttl_(std::chrono::milliseconds(ttl_ms)), max_entries_(max_entries) {}

  // A hit copies the value to *out. A miss sets *ticket, to be passed to Put with what the
  // database returned.
  template <typename K, typename V>
  bool Lookup(Table<K, V>& table, const K& key, V* out, uint64_t* ticket) {
    std::lock_guard<std::mutex> lock(mu_);
    *ticket = generation_;
    if (!enabled_) return false;
    auto it = table.entries_.find(key);
    if (it == table.entries_.end()) return false;
    if (it->second.expires <= std::chrono::steady_clock::now()) {
      table.entries_.erase(it);
      return false;
    }
    *out = it->second.value;
    hits_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  // Stores a value read after Lookup gave `ticket`; dropped when the cache was invalidated (or
  // disabled) in between.
  template <typename K, typename V>
  void Put(Table<K, V>& table, const K& key, const V& value, uint64_t ticket) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!enabled_ || ticket != generation_) return;
    if (table.entries_.size() >= max_entries_) table.entries_.clear();
    table.entries_[key] = {value, std::chrono::steady_clock::now() + ttl_};
  }

  // Forgets everything; reads in flight will not store what they read.
  void InvalidateAll() {
    std::lock_guard<std::mutex> lock(mu_);
    ClearLocked();
  }
  // Enabled only while changes made elsewhere are known to reach InvalidateAll (the listener is
  // connected and listening). Either way the cache starts over empty.
  void SetEnabled(bool enabled) {
    std::lock_guard<std::mutex> lock(mu_);
    enabled_ = enabled;
    ClearLocked();
  }
  bool enabled() const {
    std::lock_guard<std::mutex> lock(mu_);
    return enabled_;
  }
  // Lookups answered from memory since the start (tests, metrics).
  int64_t hits() const { return hits_.load(std::memory_order_relaxed); }

 private:
  void ClearLocked() {
    ++generation_;
    token_users.entries_.clear();
    users.entries_.clear();
    sessions.entries_.clear();
    projects.entries_.clear();
    roles.entries_.clear();
    user_projects.entries_.clear();
  }

  const std::chrono::steady_clock::duration ttl_;
  const size_t max_entries_;
  mutable std::mutex mu_;  // guards everything below and the tables' entries
  uint64_t generation_ = 0;
  bool enabled_ = false;
  std::atomic<int64_t> hits_{0};
};

}  // namespace nexus
