#pragma once

#include "cli/Command.h"

namespace tributary::cli {

// `tributary oauth authorize WORKSPACE CONNECTION [--redirect-uri URI] [--json]`: the connect flow's
// first half for an oauth2 connection: prints the vendor's authorize URL with a signed, expiring,
// single-use state; the vendor sends the browser to GET /oauth/callback on `tributary serve`,
// which stores the tokens. `tributary oauth status WORKSPACE CONNECTION [--json]`: what the host
// keeps of the credential (version, expiry, refreshes, a failure), never a token.
class OAuthCommand : public Command {
 public:
  enum class Action { Authorize, Status };
  explicit OAuthCommand(Action action);

 protected:
  void defineCommandOptions(Poco::Util::OptionSet& options) override;
  bool handleCommandOption(const std::string& name, const std::string& value) override;
  int execute(const std::vector<std::string>& args) override;

 private:
  Action action_;
  std::string redirectUri_;
  bool json_ = false;
};

}  // namespace tributary::cli
