#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/Json.h"
#include "plugins/ConnectorPlugin.h"

namespace tributary::plugins {

// An action's JSON body checked against the fields its descriptor declares (typed keys, as
// settings are), before the plugin sees it: the same rules where the CLI queues an action (so
// that the operator learns at once) and where a worker runs it (the authority: its plugin may
// be newer than the CLI's). Every problem is found in one pass, each message naming the
// action, the plugin and the field:
//   "unknown action 'ech' for tributary.x (did you mean \"echo\"?; known: echo, send)"
//   "the body of action 'echo' of tributary.x is not valid JSON (syntax error at byte 7)"
//   "the body of action 'echo' of tributary.x must be a JSON object, got an array"
//   "action 'echo' of tributary.x has no body field 'nots' (did you mean \"note\"?; known: note, count)"
//   "missing required body field 'note' (a string) of action 'echo' of tributary.x"
//   "body field 'count' of action 'echo' of tributary.x must be an integer, got \"ten\" (a string)"
// Absent optional fields get their declared defaults, typed; the body handed on lists the
// declared fields in the descriptor's order.
class ActionBody {
 public:
  // The largest body accepted, in bytes of JSON text: a job payload, not a bulk transfer.
  static constexpr size_t kMaxBytes = 256 * 1024;

  static ActionBody check(const ConnectorPlugin& plugin, std::string_view action, std::string_view bodyJson);
  // The same for a body already parsed (a job's payload).
  static ActionBody checkValue(const ConnectorPlugin& plugin, std::string_view action, const Json& body);

  bool ok() const { return problems_.empty(); }
  const std::vector<std::string>& problems() const { return problems_; }
  // Every problem, joined by "; ".
  std::string message() const;
  // The checked body with defaults applied (only when ok()).
  const Json& body() const { return body_; }
  // The action, when it exists (null for an unknown action).
  const ActionDescriptor* action() const { return action_; }

  // "unknown action 'x' for P (...)", also used by ConnectorInstance::action.
  static std::string unknownAction(const ConnectorPlugin& plugin, std::string_view action);
  // A declared default (text, as in the descriptor) as the JSON value of the field's type;
  // throws std::invalid_argument when the text is not of that type (the loader refuses such a
  // plugin, so only a descriptor read back from a broken probe report gets there).
  static Json typedDefault(const ConfigKeyDescriptor& key);

 private:
  void checkObject(const ConnectorPlugin& plugin, const Json& body);

  const ActionDescriptor* action_ = nullptr;
  std::vector<std::string> problems_;
  Json body_;
};

}  // namespace tributary::plugins
