#include <Poco/Exception.h>
#include <signal.h>

#include <functional>
#include <iostream>
#include <map>
#include <memory>

#include "cli/ActionsCommand.h"
#include "cli/Command.h"
#include "cli/ConfigCheckCommand.h"
#include "cli/ConnectionsCommand.h"
#include "cli/JobsCommand.h"
#include "cli/MigrateCommand.h"
#include "cli/OAuthCommand.h"
#include "cli/PluginsListCommand.h"
#include "cli/PluginsProbeCommand.h"
#include "cli/RecordsReplayCommand.h"
#include "cli/SecretsCommand.h"
#include "cli/ServeCommand.h"
#include "cli/SyncCommand.h"
#include "cli/TokensCommand.h"
#include "cli/VersionCommand.h"
#include "cli/WorkerCommand.h"

namespace tributary::cli {
namespace {

struct Entry {
  std::string words;  // "config check"
  std::string summary;
  std::function<std::unique_ptr<Command>()> make;
};

const std::vector<Entry>& commands() {
  static const std::vector<Entry> kCommands = {
      {"serve", "run the API, the scheduler and the workers (foreground)",
       [] { return std::make_unique<ServeCommand>(); }},
      {"migrate", "apply database migrations (--status lists them)", [] { return std::make_unique<MigrateCommand>(); }},
      {"config check", "validate a configuration file", [] { return std::make_unique<ConfigCheckCommand>(); }},
      {"oauth authorize", "print the vendor's authorize URL that connects an oauth2 connection",
       [] { return std::make_unique<OAuthCommand>(OAuthCommand::Action::Authorize); }},
      {"oauth status", "what the host keeps of an oauth2 connection's credential (never a token)",
       [] { return std::make_unique<OAuthCommand>(OAuthCommand::Action::Status); }},
      {"sync", "sync a workspace's connections now (--follow shows progress)",
       [] { return std::make_unique<SyncCommand>(); }},
      {"records replay", "re-read the records that failed to sync, by id",
       [] { return std::make_unique<RecordsReplayCommand>(); }},
      {"connections discover", "find a connection's streams now, with its plugin's discover hook (--wait)",
       [] { return std::make_unique<ConnectionsCommand>(ConnectionsCommand::Action::Discover); }},
      {"connections streams", "print a connection's streams as last discovered (--json)",
       [] { return std::make_unique<ConnectionsCommand>(ConnectionsCommand::Action::Streams); }},
      {"actions run", "run a connector's action (write-back) as a job (--wait prints its result)",
       [] { return std::make_unique<ActionsCommand>(ActionsCommand::Verb::Run); }},
      {"actions list", "list the connectors' actions and their body fields (no database needed)",
       [] { return std::make_unique<ActionsCommand>(ActionsCommand::Verb::List); }},
      {"plugins list", "list plugins, loaded and refused (no database needed)",
       [] { return std::make_unique<PluginsListCommand>(); }},
      {"plugins probe", "load plugins here and print them as JSON (what serve runs in a child per plugin)",
       [] { return std::make_unique<PluginsProbeCommand>(); }},
      {"jobs list", "list jobs (--status, --kind, --workspace)",
       [] { return std::make_unique<JobsCommand>(JobsCommand::Action::List); }},
      {"jobs show", "print one job with its error history",
       [] { return std::make_unique<JobsCommand>(JobsCommand::Action::Show); }},
      {"jobs retry", "put a discarded or failed job back to pending",
       [] { return std::make_unique<JobsCommand>(JobsCommand::Action::Retry); }},
      {"jobs cancel", "cancel a pending or running job",
       [] { return std::make_unique<JobsCommand>(JobsCommand::Action::Cancel); }},
      {"secrets rotate-key", "seal everything under a new key of the key file, in one transaction",
       [] { return std::make_unique<SecretsCommand>(SecretsCommand::Action::RotateKey); }},
      {"secrets retire-key", "remove a key no sealed value uses from the key file",
       [] { return std::make_unique<SecretsCommand>(SecretsCommand::Action::RetireKey); }},
      {"secrets status", "print the key file's keys and the values each one seals (never a key)",
       [] { return std::make_unique<SecretsCommand>(SecretsCommand::Action::Status); }},
      {"tokens create", "create an API token (--workspace W or --admin), printed once",
       [] { return std::make_unique<TokensCommand>(TokensCommand::Action::Create); }},
      {"tokens list", "list the API tokens (never a token)",
       [] { return std::make_unique<TokensCommand>(TokensCommand::Action::List); }},
      {"tokens revoke", "revoke an API token by id, name or prefix",
       [] { return std::make_unique<TokensCommand>(TokensCommand::Action::Revoke); }},
      {"worker", "(internal) one worker process, as serve starts them",
       [] { return std::make_unique<WorkerCommand>(); }},
      {"version", "print the version", [] { return std::make_unique<VersionCommand>(); }},
  };
  return kCommands;
}

void printEntry(std::ostream& out, const Entry& c) {
  out << "  " << c.words << std::string(c.words.size() < 16 ? 16 - c.words.size() : 1, ' ') << c.summary << "\n";
}

void printUsage(std::ostream& out) {
  out << "usage: tributary COMMAND [options]   (tributary COMMAND --help for details)\n\n"
         "Tributary keeps SaaS data synced into PostgreSQL.\n\ncommands:\n";
  for (const auto& c : commands()) printEntry(out, c);
}

// The commands of a group ("jobs": jobs list, jobs show, ...); none when `word` is no group.
std::vector<const Entry*> groupOf(const std::string& word) {
  std::vector<const Entry*> out;
  for (const auto& c : commands()) {
    if (c.words.rfind(word + " ", 0) == 0) out.push_back(&c);
  }
  return out;
}

void printGroupUsage(std::ostream& out, const std::string& group, const std::vector<const Entry*>& entries) {
  out << "usage: tributary " << group << " COMMAND [options]   (tributary " << group
      << " COMMAND --help for details)\n\ncommands:\n";
  for (const auto* c : entries) printEntry(out, *c);
}

}  // namespace

int runCli(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" || std::string(argv[1]) == "help") {
    printUsage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? kUsage : kOk;
  }
  if (std::string(argv[1]) == "--version") argv[1] = const_cast<char*>("version");
  // Longest match on the leading words: "config check" before "config".
  const Entry* chosen = nullptr;
  int consumed = 0;
  for (const auto& c : commands()) {
    std::vector<std::string> words;
    size_t start = 0;
    while (start <= c.words.size()) {
      size_t sp = c.words.find(' ', start);
      words.push_back(c.words.substr(start, sp == std::string::npos ? std::string::npos : sp - start));
      if (sp == std::string::npos) break;
      start = sp + 1;
    }
    if (static_cast<int>(words.size()) > argc - 1) continue;
    bool match = true;
    for (size_t i = 0; i < words.size(); ++i) match = match && words[i] == argv[1 + i];
    if (match && static_cast<int>(words.size()) > consumed) {
      chosen = &c;
      consumed = static_cast<int>(words.size());
    }
  }
  if (!chosen) {
    // A group's word alone, or with --help, lists its commands.
    if (auto group = groupOf(argv[1]); !group.empty()) {
      const std::string next = argc > 2 ? argv[2] : "";
      if (next == "--help" || next == "-h" || next == "help") {
        printGroupUsage(std::cout, argv[1], group);
        return kOk;
      }
      if (!next.empty()) std::cerr << "tributary " << argv[1] << ": unknown command \"" << next << "\"\n\n";
      printGroupUsage(std::cerr, argv[1], group);
      return kUsage;
    }
    std::cerr << "tributary: unknown command \"" << argv[1] << "\"\n\n";
    printUsage(std::cerr);
    return kUsage;
  }
  // Poco sees "tributary-<command>" as argv[0] and the rest as options and arguments.
  std::vector<char*> rest;
  std::string prog = std::string("tributary ") + chosen->words;
  rest.push_back(prog.data());
  for (int i = 1 + consumed; i < argc; ++i) rest.push_back(argv[i]);
  auto cmd = chosen->make();
  try {
    cmd->init(static_cast<int>(rest.size()), rest.data());
  } catch (const Poco::Exception& e) {
    std::cerr << "tributary " << chosen->words << ": " << e.displayText() << "\n"
              << "run 'tributary " << chosen->words << " --help' for usage\n";
    return kUsage;
  }
  return cmd->run();
}

}  // namespace tributary::cli
