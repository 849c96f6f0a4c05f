#include "cli/OAuthCommand.h"

#include <Poco/Util/Option.h>

#include <iostream>

#include "app/ConnectionValidator.h"
#include "auth/ConnectFlow.h"
#include "auth/CredentialStore.h"
#include "auth/OAuthCallback.h"
#include "common/Time.h"
#include "db/Pool.h"
#include "http/HttpService.h"
#include "secrets/HostKeys.h"

namespace tributary::cli {

using Poco::Util::Option;

namespace {
std::string wordOf(OAuthCommand::Action a) {
  return a == OAuthCommand::Action::Authorize ? "oauth authorize" : "oauth status";
}
std::string synopsis(OAuthCommand::Action a) {
  return a == OAuthCommand::Action::Authorize ? "WORKSPACE CONNECTION [--redirect-uri URI] [--json]"
                                              : "WORKSPACE CONNECTION [--json]";
}
std::string describe(OAuthCommand::Action a) {
  if (a == OAuthCommand::Action::Authorize) {
    return "Prints the vendor's authorize URL for an oauth2 connection. Open it in a browser and allow access: the "
           "vendor sends the browser to GET /oauth/callback on `tributary serve` (auth.redirect_uri, else "
           "server.public_url + /oauth/callback, else http://BIND:PORT/oauth/callback; --redirect-uri overrides "
           "them, and must be registered with the vendor's app), which exchanges the code and stores the tokens, "
           "sealed under secrets.key_file. The URL's state is signed, lasts 10 minutes and works once.";
  }
  return "Prints what the host keeps of an oauth2 connection's credential: its version, when the access token "
         "expires, when it was obtained and last refreshed, how often it was refreshed, a refresh that never "
         "finished, and why it cannot be used if it cannot. Never a token.";
}
}  // namespace

OAuthCommand::OAuthCommand(Action action)
    : Command(wordOf(action), synopsis(action), describe(action)), action_(action) {}

void OAuthCommand::defineCommandOptions(Poco::Util::OptionSet& options) {
  if (action_ == Action::Authorize) {
    options.addOption(Option("redirect-uri", "", "the callback URL the vendor sends the browser to")
                          .required(false)
                          .repeatable(false)
                          .argument("URI"));
  }
  options.addOption(Option("json", "", "print JSON").required(false).repeatable(false));
}

bool OAuthCommand::handleCommandOption(const std::string& name, const std::string& value) {
  if (name == "redirect-uri") redirectUri_ = value;
  else if (name == "json") json_ = true;
  else return false;
  return true;
}

int OAuthCommand::execute(const std::vector<std::string>& args) {
  const std::string word = "tributary " + wordOf(action_);
  if (args.size() != 2) {
    std::cerr << "usage: " << word << " " << synopsis(action_) << "\n";
    return kUsage;
  }
  auto cfg = loadConfig();
  if (!cfg) return kFailure;
  try {
    auto handle = openDatabase(*cfg);
    db::Connection conn(handle->conninfo());
    const std::string connectionId = auth::connectionIdOf(conn, args[0], args[1]);
    const auto registry = app::probePlugins(*cfg, true);
    const auth::AuthSettings s = auth::oauthSettingsOf(conn, *cfg, registry, connectionId);
    auto ring = secrets::requiredKeyRing(*cfg);
    if (action_ == Action::Authorize) {
      http::HttpService http(cfg->http);
      const auto started = auth::ConnectFlow(ring, http.transport()).begin(conn, s, redirectUri_);
      if (json_) {
        std::cout << Json{{"connection", s.label},
                          {"url", started.url},
                          {"expires_at", time::iso8601Ms(started.expiresAtMs)}}
                         .dump(2)
                  << "\n";
      } else {
        std::cout << "Open this URL in a browser to connect " << s.label << " (it works once, until "
                  << time::iso8601Ms(started.expiresAtMs) << "):\n\n  " << started.url << "\n\n"
                  << "The vendor then sends the browser to " << (redirectUri_.empty() ? s.redirectUri : redirectUri_)
                  << ", which `tributary serve` answers by storing the tokens.\n";
      }
      return kOk;
    }
    const auto stored = auth::CredentialStore(*ring).load(conn, s.credential);
    Json j{{"connection", s.label}, {"credential", s.credential}, {"connected", stored.has_value()}};
    if (stored) {
      j["version"] = stored->version;
      j["expires_at"] = stored->expiresAtMs ? Json(time::iso8601Ms(*stored->expiresAtMs)) : Json();
      j["issued_at"] = time::iso8601Ms(stored->issuedAtMs);
      j["refresh_count"] = stored->refreshCount;
      j["has_refresh_token"] = !stored->refreshToken.empty();
      j["failure"] = stored->failure ? Json(*stored->failure) : Json();
      j["unfinished_refresh"] =
          stored->refreshStartedAtMs
              ? Json{{"started_at", time::iso8601Ms(*stored->refreshStartedAtMs)}, {"by", stored->refreshStartedBy}}
              : Json();
      j["values"] = Json::array();
      for (auto it = stored->extra.begin(); it != stored->extra.end(); ++it) j["values"].push_back(it.key());
    }
    if (json_) {
      std::cout << j.dump(2) << "\n";
      return kOk;
    }
    if (!stored) {
      std::cout << s.label << ": not connected (run `" << s.authorizeCommand() << "`)\n";
      return kOk;
    }
    std::cout << s.label << ": " << (stored->failure ? "cannot be used: " + *stored->failure : "connected") << "\n"
              << "  version " << stored->version << ", issued " << j["issued_at"].get<std::string>() << ", "
              << (stored->expiresAtMs ? "expires " + j["expires_at"].get<std::string>() : "no expiry given") << ", "
              << stored->refreshCount << " refreshes, "
              << (stored->refreshToken.empty() ? "no refresh token" : "a refresh token") << "\n";
    if (stored->refreshStartedAtMs) {
      std::cout << "  a refresh began at " << j["unfinished_refresh"]["started_at"].get<std::string>() << " by "
                << stored->refreshStartedBy << " and has not stored its answer\n";
    }
    return kOk;
  } catch (const std::exception& e) {
    std::cerr << word << ": " << e.what() << "\n";
    return kFailure;
  }
}

}  // namespace tributary::cli
