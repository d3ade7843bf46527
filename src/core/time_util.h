// RFC 3339 formatting and parsing of TimeMs (UTC). Pure functions: the clock itself is
// behind the Clock interface (core/clock.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/types.h"

namespace nexus {

// "2026-11-25T10:53:00Z", or with milliseconds ("…:00.123Z") when they are not zero.
std::string FormatRfc3339(TimeMs t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff…](Z|±HH:MM)"; nullopt on anything else.
std::optional<TimeMs> ParseRfc3339(std::string_view s);

}  // namespace nexus
