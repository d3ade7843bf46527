// PageRequest: the keyset pagination request shared by the Store roles that list pages.
#pragma once

#include <cstdint>

namespace nexus {

// Keyset pagination: items with id > after_id, ascending, at most `limit`.
struct PageRequest {
  int64_t after_id = 0;
  int limit = 50;
};

}  // namespace nexus
