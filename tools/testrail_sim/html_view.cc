// Server-rendered HTML pages over the model (see html_view.h).
#include "html_view.h"

#include <algorithm>
#include <charconv>

namespace testrail_sim {
namespace {

constexpr int64_t kPageSize = 100;

std::string Esc(const std::string& s) { return HtmlEscape(s); }

std::string Link(const std::string& base, const std::string& route, const std::string& text) {
  return "<a href=\"" + Esc(base + "/index.php?" + route) + "\">" + Esc(text) + "</a>";
}

std::string Layout(const std::string& base, const std::string& title, const std::string& body) {
  return "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>" + Esc(title) +
         " - TestRail simulator</title><style>body{font-family:sans-serif;margin:2em}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;"
         "text-align:left}.nav{margin-bottom:1em}</style></head><body>"
         "<div class=\"nav\"><a href=\"" +
         Esc(base + "/") +
         "\">Dashboard</a> &middot; TestRail API v2 simulator (read-only)</div><h1>" + Esc(title) +
         "</h1>" + body + "</body></html>\n";
}

std::string Pager(const std::string& base, const std::string& route, int64_t page, int64_t total) {
  int64_t pages = std::max<int64_t>(1, (total + kPageSize - 1) / kPageSize);
  std::string out = "<p>Page " + std::to_string(page) + " of " + std::to_string(pages) + " (" +
                    std::to_string(total) + " items) ";
  if (page > 1) out += Link(base, route + "&page=" + std::to_string(page - 1), "previous") + " ";
  if (page < pages) out += Link(base, route + "&page=" + std::to_string(page + 1), "next");
  return out + "</p>";
}

bool ParseId(const std::string& route, const std::string& prefix, int64_t* id) {
  if (route.rfind(prefix, 0) != 0) return false;
  std::string rest = route.substr(prefix.size());
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), *id);
  return ec == std::errc() && p == rest.data() + rest.size();
}

// Attachments as links, images also inline (the bytes come from /attachments/get/<id>).
std::string AttachmentList(const Model& m, const std::string& base,
                           const std::vector<int64_t>& ids) {
  std::string out;
  for (int64_t aid : ids) {
    auto it = m.attachments().find(aid);
    if (it == m.attachments().end()) continue;
    const auto& a = it->second;
    std::string href = base + "/index.php?/attachments/get/" + std::to_string(aid);
    out += "<div class=\"attachment\">";
    if (a.media_type.rfind("image/", 0) == 0 && !a.path.empty())
      out += "<img src=\"" + Esc(href) + "\" alt=\"" + Esc(a.name) +
             "\" style=\"max-width:240px;display:block\">";
    out += "<a href=\"" + Esc(href) + "\">" + Esc(a.name) + "</a> (" + std::to_string(a.size) +
           " bytes)</div>";
  }
  return out;
}

std::string RunRow(const Model& m, const std::string& base, const Model::Run& r) {
  std::string config = m.ConfigNames(r.config_ids);
  return "<tr><td>R" + std::to_string(r.id) + "</td><td>" +
         Link(base, "/runs/view/" + std::to_string(r.id), r.name) +
         (config.empty() ? "" : " <small>(" + Esc(config) + ")</small>") + "</td><td>" +
         (r.is_completed ? "completed" : "active") + "</td><td>" + std::to_string(r.counts[1]) +
         "</td><td>" + std::to_string(r.counts[5]) + "</td><td>" + std::to_string(r.counts[3]) +
         "</td><td>" + std::to_string(r.test_ids.size()) + "</td><td>" +
         std::to_string(r.result_ids.size()) + "</td></tr>";
}

const char* kFieldTypes[] = {"",         "String",       "Integer",     "Text", "URL",
                             "Checkbox", "Dropdown",     "User",        "Date", "Milestone",
                             "Steps",    "Step Results", "Multi-select"};

// The project's custom fields, configurations and milestones (issue 14).
std::string ProjectExtras(const Model& m, int64_t project_id) {
  std::string body =
      "<h2>Custom fields</h2><table><tr><th>System name</th><th>Kind</th><th>Type</th>"
      "<th>Required</th><th>Templates</th><th>Options</th></tr>";
  for (const auto& [fid, f] : m.fields()) {
    const FieldConfig* cfg = nullptr;
    for (const auto& c : f.configs) {
      bool here = c.is_global || std::find(c.project_ids.begin(), c.project_ids.end(),
                                           project_id) != c.project_ids.end();
      if (here && (!cfg || !c.is_global)) cfg = &c;
    }
    if (!cfg) continue;
    std::string templates = "all";
    if (!f.include_all) {
      templates.clear();
      for (int64_t t : f.template_ids)
        templates += (templates.empty() ? "" : ", ") + std::to_string(t);
    }
    std::string options;
    for (const auto& [id, label] : cfg->items)
      options += (options.empty() ? "" : "; ") + std::to_string(id) + " " + label;
    int type = f.type_id >= 1 && f.type_id <= 12 ? f.type_id : 0;
    body += "<tr><td>" + Esc(f.system_name()) + "</td><td>" + (f.is_result ? "result" : "case") +
            "</td><td>" + kFieldTypes[type] + "</td><td>" + (cfg->is_required ? "yes" : "no") +
            "</td><td>" + Esc(templates) + "</td><td>" + Esc(options) + "</td></tr>";
  }
  body += "</table><h2>Configurations</h2><ul>";
  for (const auto& [gid, g] : m.config_groups()) {
    if (g.project_id != project_id) continue;
    std::string names;
    for (int64_t cid : g.config_ids)
      names +=
          (names.empty() ? "" : ", ") + m.configs().at(cid).name + " (" + std::to_string(cid) + ")";
    body += "<li>" + Esc(g.name) + ": " + Esc(names) + "</li>";
  }
  body += "</ul><h2>Milestones</h2><ul>";
  for (const auto& [mid, ms] : m.milestones()) {
    if (ms.project_id != project_id || ms.parent_id != 0) continue;
    body += "<li>M" + std::to_string(mid) + " " + Esc(ms.name) +
            (ms.is_completed ? " (completed)" : "");
    std::string subs;
    for (const auto& [sid, sub] : m.milestones())
      if (sub.parent_id == mid)
        subs += "<li>M" + std::to_string(sid) + " " + Esc(sub.name) +
                (sub.is_completed ? " (completed)" : "") + "</li>";
    body += (subs.empty() ? "" : "<ul>" + subs + "</ul>") + "</li>";
  }
  return body + "</ul>";
}

const char kRunHeader[] =
    "<table><tr><th>ID</th><th>Name</th><th>State</th><th>Passed</th><th>Failed</th>"
    "<th>Untested</th><th>Tests</th><th>Results</th></tr>";

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string RenderHtml(const Model& m, const std::string& base, const std::string& route,
                       int64_t page, int* status) {
  *status = 200;
  page = std::max<int64_t>(1, page);
  int64_t id = 0;
  if (route.empty() || route == "/" || route == "/dashboard") {
    std::string body =
        "<table><tr><th>ID</th><th>Project</th><th>Suite mode</th><th>Suites</th>"
        "<th>Runs</th><th>Plans</th></tr>";
    for (const auto& [pid, p] : m.projects()) {
      int suites = 0, runs = 0, plans = 0;
      for (const auto& [sid, s] : m.suites()) suites += s.project_id == pid;
      for (const auto& [rid, r] : m.runs()) runs += r.project_id == pid;
      for (const auto& [plid, pl] : m.plans()) plans += pl.project_id == pid;
      body += "<tr><td>P" + std::to_string(pid) + "</td><td>" +
              Link(base, "/projects/overview/" + std::to_string(pid), p.name) + "</td><td>" +
              std::to_string(p.suite_mode) + "</td><td>" + std::to_string(suites) + "</td><td>" +
              std::to_string(runs) + "</td><td>" + std::to_string(plans) + "</td></tr>";
    }
    return Layout(base, "Projects", body + "</table>");
  }
  if (ParseId(route, "/projects/overview/", &id) && m.projects().count(id)) {
    const auto& p = m.projects().at(id);
    std::string body = "<h2>Suites</h2><ul>";
    for (const auto& [sid, s] : m.suites()) {
      if (s.project_id != id) continue;
      body += "<li>" + Link(base, "/suites/view/" + std::to_string(sid), s.name) + " (" +
              std::to_string(m.SuiteCases(sid).size()) + " cases)</li>";
    }
    body += "</ul><h2>Test runs</h2>" + std::string(kRunHeader);
    for (auto it = m.runs().rbegin(); it != m.runs().rend(); ++it) {
      if (it->second.project_id == id && it->second.plan_id == 0)
        body += RunRow(m, base, it->second);
    }
    body += "</table><h2>Test plans</h2><ul>";
    for (auto it = m.plans().rbegin(); it != m.plans().rend(); ++it) {
      if (it->second.project_id != id) continue;
      body += "<li>" + Link(base, "/plans/view/" + std::to_string(it->first), it->second.name) +
              (it->second.is_completed ? " (completed)" : "") + "</li>";
    }
    return Layout(base, p.name, body + "</ul>" + ProjectExtras(m, id));
  }
  if (ParseId(route, "/suites/view/", &id) && m.suites().count(id)) {
    const auto& s = m.suites().at(id);
    // Cases listed in section order, paged.
    std::vector<std::pair<const Model::Section*, int64_t>> rows;
    for (int64_t sec_id : m.SuiteSectionOrder(id)) {
      const auto& sec = m.sections().at(sec_id);
      rows.push_back({&sec, 0});
      for (int64_t cid : m.SectionCases(sec_id)) rows.push_back({&sec, cid});
    }
    int64_t total = static_cast<int64_t>(rows.size());
    std::string route_base = "/suites/view/" + std::to_string(id);
    std::string body = Pager(base, route_base, page, total) + "<table>";
    for (int64_t i = (page - 1) * kPageSize; i < std::min(total, page * kPageSize); ++i) {
      const auto& [sec, cid] = rows[static_cast<size_t>(i)];
      if (cid == 0) {
        body +=
            "<tr><th colspan=\"3\" style=\"padding-left:" + std::to_string(8 + 16 * sec->depth) +
            "px\">" + Esc(sec->name) + "</th></tr>";
      } else {
        const auto& c = m.cases().at(cid);
        body += "<tr><td>C" + std::to_string(cid) +
                "</td><td style=\"padding-left:" + std::to_string(8 + 16 * sec->depth) + "px\">" +
                Esc(c.title) + "</td><td>" + Esc(c.refs) + "</td></tr>";
      }
    }
    return Layout(base, m.projects().at(s.project_id).name + " / " + s.name, body + "</table>");
  }
  if (ParseId(route, "/runs/view/", &id) && m.runs().count(id)) {
    const auto& r = m.runs().at(id);
    int64_t total = static_cast<int64_t>(r.test_ids.size());
    std::string route_base = "/runs/view/" + std::to_string(id);
    std::string body = std::string(kRunHeader) + RunRow(m, base, r) + "</table>";
    if (r.plan_id)
      body +=
          "<p>Part of plan " +
          Link(base, "/plans/view/" + std::to_string(r.plan_id), "P" + std::to_string(r.plan_id)) +
          "</p>";
    body += "<h2>Tests</h2>" + Pager(base, route_base, page, total) +
            "<table><tr><th>Test</th><th>Case</th><th>Title</th><th>Status</th></tr>";
    for (int64_t i = (page - 1) * kPageSize; i < std::min(total, page * kPageSize); ++i) {
      const auto& t = m.tests().at(r.test_ids[static_cast<size_t>(i)]);
      auto cit = m.cases().find(t.case_id);
      std::string title = cit != m.cases().end() ? cit->second.title : t.title;
      body += "<tr><td>" +
              Link(base, "/tests/view/" + std::to_string(t.id), "T" + std::to_string(t.id)) +
              "</td><td>C" + std::to_string(t.case_id) + "</td><td>" + Esc(title) + "</td><td>" +
              Esc(m.StatusLabel(t.status_id)) + "</td></tr>";
    }
    std::vector<int64_t> run_attachments;
    for (const auto& [aid, a] : m.attachments())
      if (a.result_id == 0 && a.run_id == id) run_attachments.push_back(aid);
    body += "</table>";
    if (!run_attachments.empty())
      body += "<h2>Attachments</h2>" + AttachmentList(m, base, run_attachments);
    return Layout(base, r.name, body);
  }
  if (ParseId(route, "/plans/view/", &id) && m.plans().count(id)) {
    const auto& p = m.plans().at(id);
    std::string body = std::string("<p>") + (p.is_completed ? "Completed" : "Active") + "</p>";
    for (const auto& e : p.entries) {
      body += "<h2>" + Esc(e.name) + " <small>(" + Esc(e.id) + ")</small></h2>" + kRunHeader;
      for (int64_t rid : e.run_ids) {
        auto it = m.runs().find(rid);
        if (it != m.runs().end()) body += RunRow(m, base, it->second);
      }
      body += "</table>";
    }
    return Layout(base, p.name, body);
  }
  if (ParseId(route, "/tests/view/", &id) && m.tests().count(id)) {
    const auto& t = m.tests().at(id);
    const auto& r = m.runs().at(t.run_id);
    std::string body = "<p>Run " + Link(base, "/runs/view/" + std::to_string(r.id), r.name) +
                       ", status " + Esc(m.StatusLabel(t.status_id)) +
                       "</p><table><tr><th>Result</th><th>Status</th><th>Created</th>"
                       "<th>Comment</th><th>Elapsed</th><th>Defects</th><th>Version</th>"
                       "<th>Custom fields</th><th>Attachments</th></tr>";
    for (auto it = r.result_ids.rbegin(); it != r.result_ids.rend(); ++it) {
      const auto& res = m.results().at(*it);
      if (res.test_id != id) continue;
      body += "<tr><td>" + std::to_string(res.id) + "</td><td>" +
              Esc(m.StatusLabel(res.status_id)) + "</td><td>" + std::to_string(res.created_on) +
              "</td><td>" + Esc(res.comment) + "</td><td>" + Esc(res.elapsed) + "</td><td>" +
              Esc(res.defects) + "</td><td>" + Esc(res.version) + "</td><td>" +
              (res.custom.empty() ? "" : "<code>" + Esc(res.custom.dump()) + "</code>") +
              "</td><td>" + AttachmentList(m, base, res.attachment_ids) + "</td></tr>";
    }
    return Layout(base, "T" + std::to_string(id) + ": " + t.title, body + "</table>");
  }
  *status = 404;
  return Layout(base, "Not found", "<p>No such page: " + Esc(route) + "</p>");
}

}  // namespace testrail_sim
