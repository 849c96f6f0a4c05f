#pragma once

#include <nlohmann/json.hpp>

namespace tributary {
// One JSON type across the host: nlohmann's, ordered so that output follows insertion order.
using Json = nlohmann::ordered_json;
}  // namespace tributary
