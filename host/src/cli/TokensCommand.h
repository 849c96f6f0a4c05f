#pragma once

#include <optional>
#include <string>

#include "cli/Command.h"

namespace tributary::cli {

// `tributary tokens create|list|revoke`: the HTTP API's bearer tokens. A token is printed once,
// when it is created; the database keeps only its SHA-256.
class TokensCommand : public Command {
 public:
  enum class Action { Create, List, Revoke };
  explicit TokensCommand(Action action);

 protected:
  void defineCommandOptions(Poco::Util::OptionSet& options) override;
  bool handleCommandOption(const std::string& name, const std::string& value) override;
  int execute(const std::vector<std::string>& args) override;

 private:
  Action action_;
  std::optional<std::string> workspace_;
  std::optional<std::string> name_;
  bool admin_ = false;
  bool json_ = false;
};

}  // namespace tributary::cli
