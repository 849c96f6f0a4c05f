#include "HubSpotSearch.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "../framework/TimeFormat.h"

namespace tributary::sim {
namespace {

const std::vector<std::string> kOperators = {"EQ",
                                             "NEQ",
                                             "LT",
                                             "LTE",
                                             "GT",
                                             "GTE",
                                             "BETWEEN",
                                             "IN",
                                             "NOT_IN",
                                             "HAS_PROPERTY",
                                             "NOT_HAS_PROPERTY",
                                             "CONTAINS_TOKEN",
                                             "NOT_CONTAINS_TOKEN"};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::optional<double> asNumber(const std::string& text, HubSpotPropertyType type) {
  if (text.empty()) return std::nullopt;
  if (type == HubSpotPropertyType::DateTime) {
    if (text.find_first_not_of("0123456789-") == std::string::npos && text.size() >= 10 &&
        text.find('-', 1) == std::string::npos) {
      return static_cast<double>(std::stoll(text));
    }
    if (auto ms = TimeFormat::parseIso(text)) return static_cast<double>(*ms);
    return std::nullopt;
  }
  try {
    size_t used = 0;
    const double value = std::stod(text, &used);
    if (used != text.size() || !std::isfinite(value)) return std::nullopt;
    return value;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// -1, 0, 1, or nullopt when the two cannot be compared.
std::optional<int> compare(const std::string& recordValue, const std::string& filterValue, HubSpotPropertyType type) {
  if (type != HubSpotPropertyType::String) {
    const auto a = asNumber(recordValue, type);
    const auto b = asNumber(filterValue, type);
    if (!a || !b) return std::nullopt;
    return *a < *b ? -1 : (*a > *b ? 1 : 0);
  }
  const int c = lower(recordValue).compare(lower(filterValue));
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool hasToken(const std::string& value, const std::string& pattern) {
  const std::string text = lower(value);
  std::string wanted = lower(pattern);
  const bool prefix = !wanted.empty() && wanted.back() == '*';
  const bool suffix = !wanted.empty() && wanted.front() == '*';
  if (prefix) wanted.pop_back();
  if (suffix && !wanted.empty()) wanted.erase(0, 1);
  std::string token;
  auto check = [&](const std::string& t) {
    if (t.empty()) return false;
    if (prefix && suffix) return t.find(wanted) != std::string::npos;
    if (prefix) return t.rfind(wanted, 0) == 0;
    if (suffix) return t.size() >= wanted.size() && t.compare(t.size() - wanted.size(), wanted.size(), wanted) == 0;
    return t == wanted;
  };
  for (char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c)) || (c & 0x80)) {
      token += c;
    } else {
      if (check(token)) return true;
      token.clear();
    }
  }
  return check(text);
}

std::string scalarText(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

struct SortCell {
  bool present = false;
  double number = 0;
  std::string text;
};

}  // namespace

bool HubSpotSearch::matches(const Filter& filter, const std::optional<std::string>& value, HubSpotPropertyType type) {
  const std::string& op = filter.op;
  if (op == "HAS_PROPERTY") return value.has_value();
  if (op == "NOT_HAS_PROPERTY") return !value.has_value();
  if (op == "IN" || op == "NOT_IN") {
    bool found = false;
    if (value) {
      for (const auto& candidate : filter.values) {
        if (compare(*value, candidate, type) == 0) found = true;
      }
    }
    return op == "IN" ? found : !found;
  }
  if (op == "CONTAINS_TOKEN") return value && hasToken(*value, filter.value.value_or(""));
  if (op == "NOT_CONTAINS_TOKEN") return !value || !hasToken(*value, filter.value.value_or(""));
  if (op == "NEQ") return !value || compare(*value, filter.value.value_or(""), type) != 0;
  if (!value) return false;
  const auto c = compare(*value, filter.value.value_or(""), type);
  if (!c) return false;
  if (op == "EQ") return *c == 0;
  if (op == "LT") return *c < 0;
  if (op == "LTE") return *c <= 0;
  if (op == "GT") return *c > 0;
  if (op == "GTE") return *c >= 0;
  if (op == "BETWEEN") {
    const auto high = compare(*value, filter.highValue.value_or(""), type);
    return *c >= 0 && high && *high <= 0;
  }
  return false;
}

bool HubSpotSearch::parse(const std::string& body, Request& out, std::string& error) {
  if (body.size() > 3000) {
    error = "Request body is " + std::to_string(body.size()) + " characters; search requests are limited to 3000.";
    return false;
  }
  nlohmann::json json;
  try {
    json = body.empty() ? nlohmann::json::object() : nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    error = std::string("Invalid input JSON: ") + e.what();
    return false;
  }
  if (!json.is_object()) {
    error = "Invalid input JSON: expected an object";
    return false;
  }
  size_t totalFilters = 0;
  if (json.contains("filterGroups")) {
    if (!json["filterGroups"].is_array()) {
      error = "filterGroups must be a list";
      return false;
    }
    if (json["filterGroups"].size() > 5) {
      error = "Too many filter groups: " + std::to_string(json["filterGroups"].size()) + " (at most 5).";
      return false;
    }
    for (const auto& group : json["filterGroups"]) {
      std::vector<Filter> filters;
      const auto& list = group.contains("filters") ? group["filters"] : nlohmann::json::array();
      if (!list.is_array()) {
        error = "filterGroups[].filters must be a list";
        return false;
      }
      if (list.size() > 6) {
        error = "Too many filters in a group: " + std::to_string(list.size()) + " (at most 6).";
        return false;
      }
      for (const auto& f : list) {
        Filter filter;
        if (!f.is_object() || !f.contains("propertyName") || !f["propertyName"].is_string() ||
            !f.contains("operator") || !f["operator"].is_string()) {
          error = "Each filter needs propertyName and operator.";
          return false;
        }
        filter.property = f["propertyName"];
        filter.op = f["operator"];
        if (std::find(kOperators.begin(), kOperators.end(), filter.op) == kOperators.end()) {
          error = "Invalid operator '" + filter.op + "' for property " + filter.property + ".";
          return false;
        }
        if (f.contains("value") && !f["value"].is_null()) filter.value = scalarText(f["value"]);
        if (f.contains("highValue") && !f["highValue"].is_null()) {
          filter.highValue = scalarText(f["highValue"]);
        }
        if (f.contains("values") && f["values"].is_array()) {
          for (const auto& v : f["values"]) filter.values.push_back(scalarText(v));
        }
        const bool needsValue = filter.op != "HAS_PROPERTY" && filter.op != "NOT_HAS_PROPERTY" && filter.op != "IN" &&
                                filter.op != "NOT_IN";
        if (needsValue && !filter.value) {
          error = "Operator " + filter.op + " on " + filter.property + " requires a value.";
          return false;
        }
        if (filter.op == "BETWEEN" && !filter.highValue) {
          error = "Operator BETWEEN on " + filter.property + " requires a highValue.";
          return false;
        }
        if ((filter.op == "IN" || filter.op == "NOT_IN") && filter.values.empty()) {
          error = "Operator " + filter.op + " on " + filter.property + " requires values.";
          return false;
        }
        filters.push_back(std::move(filter));
        ++totalFilters;
      }
      out.groups.push_back(std::move(filters));
    }
  }
  if (totalFilters > 18) {
    error = "Too many filters: " + std::to_string(totalFilters) + " (at most 18 in all groups).";
    return false;
  }
  if (json.contains("sorts") && json["sorts"].is_array() && !json["sorts"].empty()) {
    if (json["sorts"].size() > 1) {
      error = "Only one sort is allowed.";
      return false;
    }
    const auto& sort = json["sorts"][0];
    if (sort.is_string()) {
      std::string name = sort;
      out.descending = !name.empty() && name[0] == '-';
      out.sortProperty = out.descending ? name.substr(1) : name;
    } else if (sort.is_object() && sort.contains("propertyName") && sort["propertyName"].is_string()) {
      out.sortProperty = sort["propertyName"].get<std::string>();
      const std::string direction = sort.value("direction", "ASCENDING");
      if (direction != "ASCENDING" && direction != "DESCENDING") {
        error = "Invalid sort direction '" + direction + "'.";
        return false;
      }
      out.descending = direction == "DESCENDING";
    } else {
      error = "Invalid sort.";
      return false;
    }
  }
  if (json.contains("properties") && json["properties"].is_array()) {
    for (const auto& p : json["properties"]) {
      if (p.is_string()) out.properties.push_back(p);
    }
  }
  if (json.contains("query") && json["query"].is_string()) out.query = json["query"];
  if (json.contains("limit") && !json["limit"].is_null()) {
    if (!json["limit"].is_number_integer() || json["limit"].get<int64_t>() < 0 || json["limit"].get<int64_t>() > 200) {
      error = "limit must be an integer from 0 to 200.";
      return false;
    }
    out.limit = json["limit"].get<uint64_t>();
  }
  if (json.contains("after") && !json["after"].is_null()) {
    const std::string after = scalarText(json["after"]);
    if (after.empty() || after.find_first_not_of("0123456789") != std::string::npos || after.size() > 12) {
      error = "after must be an integer in string form, got '" + after + "'.";
      return false;
    }
    out.after = std::stoull(after);
  }
  if (out.after >= kMaxResults) {
    error = "Paging past " + std::to_string(kMaxResults) +
            " results is not allowed; narrow the query (for example by "
            "hs_lastmodifieddate or hs_object_id GT the last id seen).";
    return false;
  }
  return true;
}

HubSpotSearch::Page HubSpotSearch::run(const Request& request, const HubSpotObject& object, int64_t indexedAtWallMs) {
  const std::string& modified = object.lastModifiedProperty();
  struct Match {
    SortCell key;
    uint64_t index;
    RecordState state;
  };
  std::vector<Match> found;
  const uint64_t size = object.store().size();
  for (uint64_t i = 0; i < size; ++i) {
    auto state = object.store().visibleAt(i, indexedAtWallMs);
    if (!state || state->deleted) continue;
    std::optional<nlohmann::json> full;
    // The record is generated only when a filter needs more than its times and id.
    auto valueOf = [&](const std::string& property) -> std::optional<std::string> {
      if (property == "hs_object_id") return object.sourceId(i);
      if (property == "createdate") return std::to_string(state->createdAtMs);
      if (property == modified) return std::to_string(state->modifiedAtMs);
      if (!full) full = object.generate(*state);
      const auto& props = (*full)["properties"];
      auto it = props.find(property);
      if (it == props.end() || it->is_null()) return std::nullopt;
      std::string text = scalarText(*it);
      if (text.empty()) return std::nullopt;
      return text;
    };
    bool ok = request.groups.empty();
    for (const auto& group : request.groups) {
      bool all = true;
      for (const auto& filter : group) {
        if (!matches(filter, valueOf(filter.property), object.propertyType(filter.property))) {
          all = false;
          break;
        }
      }
      if (all) {
        ok = true;
        break;
      }
    }
    if (ok && !request.query.empty()) {
      if (!full) full = object.generate(*state);
      const std::string needle = lower(request.query);
      bool hit = false;
      for (const auto& [key, value] : (*full)["properties"].items()) {
        if (value.is_string() && lower(value.get<std::string>()).find(needle) != std::string::npos) {
          hit = true;
        }
      }
      ok = hit;
    }
    if (!ok) continue;
    Match match{{}, i, *state};
    if (request.sortProperty) {
      const auto value = valueOf(*request.sortProperty);
      const auto type = object.propertyType(*request.sortProperty);
      if (value) {
        match.key.present = true;
        if (type != HubSpotPropertyType::String) {
          const auto number = asNumber(*value, type);
          match.key.present = number.has_value();
          match.key.number = number.value_or(0);
        } else {
          match.key.text = lower(*value);
        }
      }
    }
    found.push_back(std::move(match));
  }
  if (request.sortProperty) {
    const bool descending = request.descending;
    std::stable_sort(found.begin(), found.end(), [descending](const Match& a, const Match& b) {
      // Records without a value sort last either way; ties go by id, ascending.
      if (a.key.present != b.key.present) return a.key.present;
      if (a.key.present) {
        if (a.key.number != b.key.number) {
          return descending ? a.key.number > b.key.number : a.key.number < b.key.number;
        }
        if (a.key.text != b.key.text) {
          return descending ? a.key.text > b.key.text : a.key.text < b.key.text;
        }
      }
      return a.index < b.index;
    });
  }
  Page page;
  page.total = found.size();
  const uint64_t end = std::min<uint64_t>({request.after + request.limit, found.size(), kMaxResults});
  for (uint64_t k = request.after; k < end; ++k) {
    const nlohmann::json full = object.generate(found[k].state);
    page.results.push_back(HubSpotObject::project(full, request.properties, request.properties.empty(),
                                                  object.defaultProperties(), modified));
  }
  if (end < found.size() && request.limit > 0) page.nextAfter = end;
  return page;
}

}  // namespace tributary::sim
