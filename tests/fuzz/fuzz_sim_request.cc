// libFuzzer target: the TestRail simulator's request handling (tools/testrail_sim) through
// Simulator::HandleInProcess — the same code as its HTTP server, without sockets: admin
// endpoints, the API (query parsing, Basic auth, JSON bodies, every method of the model) and
// the HTML pages (issue 13). Input: an HTTP request in text form,
//   METHOD TARGET\n
//   Header-Name: value\n   (any number)
//   \n
//   body
// The model is regenerated (small) and the knobs reset before every input, so one input is one
// reproducible request and no knob set by an input (latency, faults) affects the next.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "simulator.h"

namespace {

testrail_sim::Simulator& Sim() {
  static auto* sim = new testrail_sim::Simulator(testrail_sim::SimulatorOptions{});
  return *sim;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  size_t eol = text.find('\n');
  std::string first = text.substr(0, eol);
  size_t sp = first.find(' ');
  if (sp == std::string::npos) return 0;
  std::string method = first.substr(0, sp);
  std::string target = first.substr(sp + 1);
  if (target.empty() || target[0] != '/') return 0;  // the HTTP server only routes such targets

  std::multimap<std::string, std::string> headers;
  size_t pos = eol == std::string::npos ? text.size() : eol + 1;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t v = line.find_first_not_of(' ', colon + 1);
    headers.emplace(line.substr(0, colon), v == std::string::npos ? "" : line.substr(v));
  }
  std::string body = pos < text.size() ? text.substr(pos) : "";

  testrail_sim::Simulator& sim = Sim();
  sim.SetConfig(testrail_sim::SimConfig{});
  sim.model().Generate({.projects = 2, .suites = 2, .sections = 2, .cases = 6});
  auto out = sim.HandleInProcess(method, target, headers, body);
  if (out.status < 100 || out.status > 599) __builtin_trap();
  return 0;
}
