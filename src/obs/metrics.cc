// Prometheus text exposition of the registry.
#include "obs/metrics.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace nexus::obs {
namespace {

constexpr double kBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                              0.25,   0.5,   1,      2.5,   5,    10,    30,   60};

std::string Escape(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Num(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {  // shortest exact form
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string WithLabel(const std::string& key, const std::string& extra) {
  if (key.empty()) return "{" + extra + "}";
  return "{" + key.substr(1, key.size() - 2) + "," + extra + "}";
}

}  // namespace

std::string Metrics::Key(const Labels& labels) {
  if (labels.empty()) return {};
  std::string k = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i) k += ',';
    k += labels[i].first + "=\"" + Escape(labels[i].second) + "\"";
  }
  return k + "}";
}

void Metrics::Inc(std::string_view name, const Labels& labels, double v) {
  std::lock_guard lock(mu_);
  auto it = scalars_.find(name);
  if (it == scalars_.end())
    it = scalars_.emplace(std::string(name), std::map<std::string, double>{}).first;
  it->second[Key(labels)] += v;
}

void Metrics::Set(std::string_view name, const Labels& labels, double v) {
  std::lock_guard lock(mu_);
  auto it = scalars_.find(name);
  if (it == scalars_.end())
    it = scalars_.emplace(std::string(name), std::map<std::string, double>{}).first;
  it->second[Key(labels)] = v;
}

void Metrics::Observe(std::string_view name, const Labels& labels, double v) {
  std::lock_guard lock(mu_);
  auto it = histograms_.find(name);
  if (it == histograms_.end())
    it = histograms_.emplace(std::string(name), std::map<std::string, Histogram>{}).first;
  Histogram& h = it->second[Key(labels)];
  if (h.buckets.empty()) h.buckets.assign(std::size(kBounds), 0);
  for (size_t i = 0; i < std::size(kBounds); ++i)
    if (v <= kBounds[i]) ++h.buckets[i];
  ++h.count;
  h.sum += v;
}

void Metrics::Describe(std::string_view name, std::string_view type, std::string_view help) {
  std::lock_guard lock(mu_);
  help_[std::string(name)] = {std::string(type), std::string(help)};
}

double Metrics::Value(std::string_view name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto it = scalars_.find(name);
  if (it == scalars_.end()) return 0;
  auto jt = it->second.find(Key(labels));
  return jt == it->second.end() ? 0 : jt->second;
}

uint64_t Metrics::Count(std::string_view name, const Labels& labels) const {
  std::lock_guard lock(mu_);
  auto it = histograms_.find(name);
  if (it == histograms_.end()) return 0;
  auto jt = it->second.find(Key(labels));
  return jt == it->second.end() ? 0 : jt->second.count;
}

double Metrics::Total(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = scalars_.find(name);
  if (it == scalars_.end()) return 0;
  double t = 0;
  for (const auto& [k, v] : it->second) t += v;
  return t;
}

std::string Metrics::RenderPrometheus() const {
  std::lock_guard lock(mu_);
  std::string out;
  auto header = [&](const std::string& name, const char* default_type) {
    auto h = help_.find(name);
    if (h != help_.end()) {
      out += "# HELP " + name + " " + h->second.second + "\n";
      out += "# TYPE " + name + " " + h->second.first + "\n";
    } else {
      out += "# TYPE " + name + " " + default_type + "\n";
    }
  };
  for (const auto& [name, series] : scalars_) {
    header(name, "counter");
    for (const auto& [key, v] : series) out += name + key + " " + Num(v) + "\n";
  }
  for (const auto& [name, series] : histograms_) {
    header(name, "histogram");
    for (const auto& [key, h] : series) {
      for (size_t i = 0; i < std::size(kBounds); ++i)
        out += name + "_bucket" + WithLabel(key, "le=\"" + Num(kBounds[i]) + "\"") + " " +
               std::to_string(h.buckets[i]) + "\n";
      out +=
          name + "_bucket" + WithLabel(key, "le=\"+Inf\"") + " " + std::to_string(h.count) + "\n";
      out += name + "_sum" + key + " " + Num(h.sum) + "\n";
      out += name + "_count" + key + " " + std::to_string(h.count) + "\n";
    }
  }
  return out;
}

}  // namespace nexus::obs
