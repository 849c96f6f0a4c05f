#include "plugins/ActionBody.h"

#include <cstdint>
#include <limits>
#include <set>
#include <stdexcept>

#include "common/Strings.h"
#include "tributary/sanitize.hpp"

namespace tributary::plugins {
namespace {

std::string expected(ConfigType type) {
  switch (type) {
    case ConfigType::String: return "a string";
    case ConfigType::Integer: return "an integer";
    case ConfigType::Number: return "a number";
    case ConfigType::Boolean: return "a boolean (true or false)";
  }
  return "?";
}

// A value as a message shows it: short, and typed where the text alone could mislead ("42" the
// string, 42 the number).
std::string shown(const Json& v) {
  auto cut = [](std::string s) { return s.size() > 80 ? s.substr(0, 77) + "..." : s; };
  switch (v.type()) {
    case Json::value_t::object: return "an object";
    case Json::value_t::array: return "an array";
    case Json::value_t::null: return "null";
    case Json::value_t::string: return cut(v.dump()) + " (a string)";
    case Json::value_t::boolean: return v.dump() + " (a boolean)";
    default: return cut(v.dump()) + " (a number)";
  }
}

// A field name as given, escaped when it holds control characters.
std::string name(std::string_view key) {
  for (char c : key) {
    if (static_cast<unsigned char>(c) < 0x20) return Json(std::string(key)).dump();
  }
  return std::string(key.substr(0, 80)) + (key.size() > 80 ? "..." : "");
}

bool holdsNul(const std::string& s) { return s.find('\0') != std::string::npos; }

std::string known(const std::vector<std::string>& names, std::string_view word, const char* none) {
  if (names.empty()) return std::string(" (") + none + ")";
  const std::string suggestion = strings::closestMatch(word, names);
  return " (" + (suggestion.empty() ? std::string() : "did you mean \"" + suggestion + "\"?; ") +
         "known: " + strings::join(names, ", ") + ")";
}

}  // namespace

std::string ActionBody::unknownAction(const ConnectorPlugin& plugin, std::string_view action) {
  std::vector<std::string> names;
  for (const auto& a : plugin.actions()) names.push_back(a.name);
  return "unknown action '" + name(action) + "' for " + plugin.name() + known(names, action, "it has no actions");
}

Json ActionBody::typedDefault(const ConfigKeyDescriptor& key) {
  if (!key.defaultValue) return Json();
  const std::string& text = *key.defaultValue;
  try {
    switch (key.type) {
      case ConfigType::String: return text;
      case ConfigType::Integer:
        if (auto n = sanitize::integer(text)) return *n;
        break;
      case ConfigType::Number:
        if (auto n = sanitize::number(text)) return Json::parse(*n);
        break;
      case ConfigType::Boolean:
        if (auto b = sanitize::boolean(text)) return *b;
        break;
    }
  } catch (const InvalidValue&) {
  }
  throw std::invalid_argument("the default \"" + text + "\" of '" + key.key + "' is not " + expected(key.type));
}

ActionBody ActionBody::check(const ConnectorPlugin& plugin, std::string_view action, std::string_view bodyJson) {
  ActionBody out;
  out.action_ = plugin.findAction(action);
  if (!out.action_) {
    out.problems_.push_back(unknownAction(plugin, action));
    return out;
  }
  const std::string of = "action '" + out.action_->name + "' of " + plugin.name();
  if (bodyJson.size() > kMaxBytes) {
    out.problems_.push_back("the body of " + of + " is " + std::to_string(bodyJson.size()) +
                            " bytes of JSON (at most " + std::to_string(kMaxBytes) + ")");
    return out;
  }
  // A field given twice would silently keep its last value: the parser tells us of each key.
  std::set<std::string> seen, twice;
  Json::parser_callback_t onKey = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::key && depth == 1 && parsed.is_string()) {
      if (!seen.insert(parsed.get<std::string>()).second) twice.insert(parsed.get<std::string>());
    }
    return true;
  };
  Json body;
  try {
    body = Json::parse(bodyJson.begin(), bodyJson.end(), onKey);
  } catch (const Json::parse_error& e) {
    std::string why = e.what();
    if (auto at = why.find("parse error"); at != std::string::npos) why = why.substr(at);
    out.problems_.push_back("the body of " + of + " is not valid JSON: " + why);
    return out;
  }
  for (const auto& key : twice) {
    out.problems_.push_back("body field '" + name(key) + "' of " + of + " is given twice");
  }
  out.checkObject(plugin, body);
  return out;
}

ActionBody ActionBody::checkValue(const ConnectorPlugin& plugin, std::string_view action, const Json& body) {
  ActionBody out;
  out.action_ = plugin.findAction(action);
  if (!out.action_) {
    out.problems_.push_back(unknownAction(plugin, action));
    return out;
  }
  if (const size_t size = body.dump().size(); size > kMaxBytes) {
    out.problems_.push_back("the body of action '" + out.action_->name + "' of " + plugin.name() + " is " +
                            std::to_string(size) + " bytes of JSON (at most " + std::to_string(kMaxBytes) + ")");
    return out;
  }
  out.checkObject(plugin, body);
  return out;
}

void ActionBody::checkObject(const ConnectorPlugin& plugin, const Json& body) {
  const ActionDescriptor& a = *action_;
  const std::string of = "action '" + a.name + "' of " + plugin.name();
  if (!body.is_object()) {
    problems_.push_back("the body of " + of + " must be a JSON object ({\"field\": value, ...}), got " + shown(body));
    return;
  }
  std::vector<std::string> fields;
  for (const auto& k : a.body) fields.push_back(k.key);
  for (const auto& [key, value] : body.items()) {
    bool declared = false;
    for (const auto& k : a.body) declared = declared || k.key == key;
    if (!declared) {
      problems_.push_back(of + " has no body field '" + name(key) + "'" +
                          known(fields, key, "it takes no body fields"));
    }
  }
  Json checked = Json::object();
  for (const auto& k : a.body) {
    const std::string field = "body field '" + k.key + "' of " + of;
    auto given = body.find(k.key);
    if (given == body.end()) {
      if (k.required) {
        problems_.push_back("missing required body field '" + k.key + "' (" + expected(k.type) + ") of " + of);
      } else if (k.defaultValue) {
        try {
          checked[k.key] = typedDefault(k);
        } catch (const std::invalid_argument& e) {
          problems_.push_back(field + ": " + e.what() + " (a bug in the plugin's descriptor)");
        }
      }
      continue;
    }
    const Json& v = *given;
    bool fits = false;
    std::string detail;
    switch (k.type) {
      case ConfigType::String:
        fits = v.is_string();
        if (fits && holdsNul(v.get<std::string>())) {
          problems_.push_back(field + " holds a NUL character (\\u0000), which PostgreSQL cannot store");
          continue;
        }
        break;
      case ConfigType::Integer:
        // An integral JSON number: 2, not 2.0 or 2e0 (a float could not hold every int64).
        fits = v.is_number_integer() &&
               (!v.is_number_unsigned() || v.get<uint64_t>() <= uint64_t(std::numeric_limits<int64_t>::max()));
        if (v.is_number_unsigned() && !fits) detail = " from -9223372036854775808 to 9223372036854775807";
        break;
      case ConfigType::Number: fits = v.is_number(); break;
      case ConfigType::Boolean: fits = v.is_boolean(); break;
    }
    if (!fits) {
      std::string msg = field + " must be " + expected(k.type) + detail + ", got " + shown(v);
      if (v.is_null() && !k.required) {
        msg += k.defaultValue ? " (leave the field out for its default, " + *k.defaultValue + ")" : " (leave it out)";
      }
      problems_.push_back(msg);
      continue;
    }
    checked[k.key] = v;
  }
  if (problems_.empty()) body_ = std::move(checked);
}

std::string ActionBody::message() const { return strings::join(problems_, "; "); }

}  // namespace tributary::plugins
