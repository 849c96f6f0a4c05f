#pragma once

#include "cli/Command.h"

namespace tributary::cli {

// `tributary secrets rotate-key|retire-key|status`: the key file that seals what the host
// stores (docs/operators.md, "Secrets at rest"). Never prints key material.
class SecretsCommand : public Command {
 public:
  enum class Action { RotateKey, RetireKey, Status };
  explicit SecretsCommand(Action action);

 protected:
  int execute(const std::vector<std::string>& args) override;

 private:
  int rotate(const config::Config& cfg, const std::filesystem::path& keyFile);
  int retire(const config::Config& cfg, const std::filesystem::path& keyFile, const std::string& keyId);
  int status(const config::Config& cfg, const std::optional<std::filesystem::path>& keyFile);
  Action action_;
};

}  // namespace tributary::cli
