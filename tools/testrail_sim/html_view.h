// Read-only, server-rendered HTML view of the simulator's data, so a person can watch
// exports land. Routes mirror TestRail's own UI URLs (the `url` fields of API objects):
// `<base>/index.php?/projects/overview/1`, `/suites/view/N`, `/runs/view/N`,
// `/plans/view/N`, `/tests/view/N`; `<base>/` is the dashboard.
#pragma once

#include <cstdint>
#include <string>

#include "model.h"

namespace testrail_sim {

// Renders one page. `route` is the part after `index.php?` up to the first '&' ("" for the
// dashboard); `page` is the 1-based page of long lists. Sets *status to 200 or 404. All
// text taken from the model is HTML-escaped.
std::string RenderHtml(const Model& model, const std::string& base_path, const std::string& route,
                       int64_t page, int* status);

// Escapes &, <, >, " and ' for HTML text and attribute values.
std::string HtmlEscape(const std::string& text);

}  // namespace testrail_sim
