// In-process metrics registry rendered in Prometheus text format at GET /metrics
// (R-Q-OBS). Counters, gauges and histograms keyed by name + labels. Thread-safe: any
// thread may record; Render() takes a consistent snapshot.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nexus::obs {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Metrics {
 public:
  Metrics() = default;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Adds `v` to the counter `name{labels}` (created at 0 on first use).
  void Inc(std::string_view name, const Labels& labels = {}, double v = 1);
  // Sets the gauge `name{labels}`.
  void Set(std::string_view name, const Labels& labels, double v);
  // Records one observation in the histogram `name{labels}` (default latency buckets, in
  // seconds, from 0.5 ms to 60 s).
  void Observe(std::string_view name, const Labels& labels, double v);
  // Registers the HELP text of a metric family (optional).
  void Describe(std::string_view name, std::string_view type, std::string_view help);

  // Current value of a counter or gauge (0 when never recorded). For tests and logs.
  double Value(std::string_view name, const Labels& labels = {}) const;
  // Number of observations of a histogram series.
  uint64_t Count(std::string_view name, const Labels& labels = {}) const;
  // Sum of a counter family over all label sets.
  double Total(std::string_view name) const;

  std::string RenderPrometheus() const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // cumulative counts per bound in kBounds
    uint64_t count = 0;
    double sum = 0;
  };
  static std::string Key(const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, std::map<std::string, double>, std::less<>> scalars_;  // guarded by mu_
  std::map<std::string, std::map<std::string, Histogram>, std::less<>> histograms_;  // mu_
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> help_;     // mu_
};

}  // namespace nexus::obs
