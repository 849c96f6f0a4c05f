#include "cli/TokensCommand.h"

#include <Poco/Util/Option.h>

#include <iostream>

#include "api/Tokens.h"
#include "db/Connection.h"
#include "db/DatabaseHandle.h"

namespace tributary::cli {

using Poco::Util::Option;

namespace {

std::string wordOf(TokensCommand::Action a) {
  switch (a) {
    case TokensCommand::Action::Create: return "tokens create";
    case TokensCommand::Action::List: return "tokens list";
    case TokensCommand::Action::Revoke: return "tokens revoke";
  }
  return "tokens";
}

std::string synopsis(TokensCommand::Action a) {
  switch (a) {
    case TokensCommand::Action::Create: return "--workspace W | --admin [--name N] [--json]";
    case TokensCommand::Action::List: return "[--json]";
    case TokensCommand::Action::Revoke: return "ID|NAME|PREFIX";
  }
  return "";
}

std::string describe(TokensCommand::Action a) {
  switch (a) {
    case TokensCommand::Action::Create:
      return "Creates an API token and prints it, once: the database keeps only its SHA-256. A workspace token "
             "(--workspace W) reaches that workspace only (any other answers 404); an admin token (--admin) reaches "
             "every workspace, the audit log and the metrics. Send it as Authorization: Bearer TOKEN.";
    case TokensCommand::Action::List:
      return "Lists the API tokens: id, name, kind, workspace, prefix, when each was created and last used, and "
             "whether it was revoked. Never a token.";
    case TokensCommand::Action::Revoke:
      return "Revokes a token, named by its id, its name or its prefix: every request with it answers 401 from "
             "then on.";
  }
  return "";
}

}  // namespace

TokensCommand::TokensCommand(Action action)
    : Command(wordOf(action), synopsis(action), describe(action)), action_(action) {}

void TokensCommand::defineCommandOptions(Poco::Util::OptionSet& options) {
  if (action_ == Action::Create) {
    options.addOption(Option("workspace", "", "a token of this workspace (its slug)")
                          .required(false)
                          .repeatable(false)
                          .argument("W"));
    options.addOption(Option("admin", "", "an admin token").required(false).repeatable(false));
    options.addOption(Option("name", "", "what the token is for (default: its kind and workspace)")
                          .required(false)
                          .repeatable(false)
                          .argument("N"));
  }
  if (action_ != Action::Revoke) options.addOption(Option("json", "", "print JSON").required(false).repeatable(false));
}

bool TokensCommand::handleCommandOption(const std::string& name, const std::string& value) {
  if (name == "workspace") workspace_ = value;
  else if (name == "admin") admin_ = true;
  else if (name == "name") name_ = value;
  else if (name == "json") json_ = true;
  else return false;
  return true;
}

int TokensCommand::execute(const std::vector<std::string>& args) {
  const std::string word = "tributary " + wordOf(action_);
  const size_t want = action_ == Action::Revoke ? 1 : 0;
  if (args.size() != want || (action_ == Action::Create && admin_ == workspace_.has_value())) {
    std::cerr << "usage: " << word << " " << synopsis(action_) << "\n";
    return kUsage;
  }
  auto cfg = loadConfig();
  if (!cfg) return kFailure;
  auto handle = openDatabase(*cfg);
  db::Connection conn(handle->conninfo());
  if (action_ == Action::Create) {
    std::optional<std::string> workspaceId;
    if (workspace_) {
      auto ws = conn.exec("SELECT id FROM workspaces WHERE slug = $1", *workspace_);
      if (ws.empty()) {
        std::cerr << word << ": no workspace \"" << *workspace_
                  << "\" in the database (workspaces come from the configuration when serve starts)\n";
        return kFailure;
      }
      workspaceId = ws.text(0, 0);
    }
    const std::string name = name_.value_or(workspace_ ? "workspace " + *workspace_ : std::string("admin"));
    const auto issued = api::tokens::create(conn, name, workspaceId);
    if (json_) {
      std::cout << Json{{"id", issued.id},
                        {"name", name},
                        {"kind", workspace_ ? "workspace" : "admin"},
                        {"workspace", workspace_ ? Json(*workspace_) : Json(nullptr)},
                        {"token", issued.token}}
                       .dump(2)
                << "\n";
    } else {
      std::cout << issued.token << "\n";
      std::cerr << "created " << (workspace_ ? "a token of workspace " + *workspace_ : std::string("an admin token"))
                << " (\"" << name << "\", id " << issued.id
                << "). It is shown this once; send it as Authorization: Bearer TOKEN.\n";
    }
    return kOk;
  }
  if (action_ == Action::List) {
    const auto rows = api::tokens::list(conn);
    if (json_) {
      Json out = Json::array();
      for (const auto& r : rows) out.push_back(r.toJson());
      std::cout << out.dump(2) << "\n";
      return kOk;
    }
    if (rows.empty()) std::cout << "no tokens\n";
    for (const auto& r : rows) {
      std::cout << r.id << "  " << r.prefix << "…  " << r.kind << (r.workspace ? " " + *r.workspace : "") << "  \""
                << r.name << "\"  created " << r.createdAt << "  last used " << r.lastUsedAt.value_or("never")
                << (r.revokedAt ? "  REVOKED " + *r.revokedAt : "") << "\n";
    }
    return kOk;
  }
  if (!api::tokens::revoke(conn, args[0])) {
    std::cerr << word << ": no live token with id, name or prefix \"" << args[0] << "\" (`tributary tokens list`)\n";
    return kFailure;
  }
  std::cout << "revoked " << args[0] << "\n";
  return kOk;
}

}  // namespace tributary::cli
