// Normalisation of the TestRail URL a user types or pastes (R-CONN-1) into the canonical
// instance base URL used for API calls and as the key of the per-instance rate budget.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace nexus::testrail {

// Turns user input into `scheme://host[:port][/path-prefix]`:
//   "company.testrail.io"                       -> "https://company.testrail.io"
//   "https://qa.example.com/testrail/"          -> "https://qa.example.com/testrail"
//   "https://x.testrail.io/index.php?/dashboard" -> "https://x.testrail.io"
// Surrounding whitespace is trimmed; the scheme and host are lower-cased; the default port
// (443 for https, 80 for http) is dropped; anything from `index.php` on, a query, a fragment
// and trailing slashes are removed. The path prefix keeps its case.
// Errors (all InvalidArgument, field "url", reason "invalid_url"), each with its own message:
// empty input, spaces or control characters, a scheme other than http/https, credentials
// (`user:pw@`), an empty or malformed host, an invalid port (not 1-65535).
// Pure function; thread-safe.
Result<std::string> NormalizeBaseUrl(std::string_view input);

// The host part (without brackets or port) of a normalised base URL, for messages.
std::string HostOfBaseUrl(std::string_view base_url);

}  // namespace nexus::testrail
