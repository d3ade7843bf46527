// The thread that keeps a ReadCache (read_cache.h) honest on PostgreSQL: one connection of its
// own that LISTENs on the channel the cached tables' triggers notify (kCacheChannel, migration
// 0014) and empties the cache on every notification. The cache is enabled only while that
// connection is up and listening: on any failure it is disabled (reads go to the database) and
// the listener reconnects with backoff; once listening again the cache starts over empty. While
// idle it checks the connection every `ping_ms`. Internal to storage/.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

namespace nexus {
class ReadCache;
}

namespace nexus::pg {

// The NOTIFY channel of the cached tables' triggers.
inline constexpr const char* kCacheChannel = "nexus_cache";

class CacheListener {
 public:
  // Starts the thread; `cache` must outlive the listener.
  CacheListener(std::string conninfo, ReadCache* cache, int ping_ms = 2000);
  ~CacheListener();  // stops and joins the thread, closes the connection
  CacheListener(const CacheListener&) = delete;
  CacheListener& operator=(const CacheListener&) = delete;

 private:
  void Run();
  // Waits up to `ms` or until the listener is stopped; false when stopped.
  bool Pause(int ms);

  const std::string conninfo_;
  ReadCache* const cache_;
  const int ping_ms_;
  int wake_fd_ = -1;  // an eventfd written by the destructor
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace nexus::pg
