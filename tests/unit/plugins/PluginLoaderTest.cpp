// The loader against every bad plugin file we know of, asserting the exact reason.
#include "plugins/PluginLoader.h"

#include <fstream>

#include <gtest/gtest.h>

#include "PluginTestSupport.h"

using namespace tributary::plugins;
using namespace tributary::plugins::testing;

namespace {

std::string refusal(const std::filesystem::path& file) {
  PluginLoader::Outcome out = PluginLoader().load(file);
  if (out.plugin) return "(loaded)";
  return out.refused->reason;
}

}  // namespace

TEST(loader, LoadsTheGoodFixtureAndReadsItsDescriptor) {
  TempDir dir;
  auto file = dir.copy(fixture("fixture_good"), "good.so");
  PluginLoader::Outcome out = PluginLoader().load(file);
  ASSERT_TRUE(out.plugin) << out.refused->reason;
  const ConnectorPlugin& p = *out.plugin;
  EXPECT_EQ(p.name(), "tributary.fixture_good");
  EXPECT_EQ(p.shortName(), "fixture_good");
  EXPECT_EQ(p.version(), "0.0.1");
  EXPECT_EQ(p.abiString(), "1.1");
  EXPECT_EQ(p.path(), file);
  ASSERT_EQ(p.streams().size(), 1u);
  EXPECT_EQ(p.streams()[0].name, "items");
  EXPECT_EQ(p.streams()[0].entity, "");
  ASSERT_EQ(p.configSchema().size(), 2u);
  EXPECT_EQ(p.configSchema()[0].key, "greeting");
  EXPECT_EQ(p.configSchema()[1].key, "token");
  EXPECT_TRUE(p.configSchema()[1].required);
  EXPECT_TRUE(p.configSchema()[1].secret);
  EXPECT_EQ(p.configSchema()[0].defaultValue, "hello");
}

TEST(loader, RefusesAFileThatIsNotElf) {
  TempDir dir;
  auto file = dir.copy(fixture("fixture_not_elf"), "not_elf.so", 0644);
  EXPECT_EQ(refusal(file),
            "is not an ELF shared object (it does not start with the ELF magic bytes); remove it "
            "from the "
            "plugins dir, or rebuild it with tributary_add_connector()");
  std::ofstream(dir.path() / "empty.so").close();
  ::chmod((dir.path() / "empty.so").c_str(), 0644);
  EXPECT_EQ(refusal(dir.path() / "empty.so"), refusal(file));
}

TEST(loader, RefusesAnElfFileThatIsNotASharedObject) {
  TempDir dir;
  auto object = dir.path() / "object.so";
  std::ofstream out(object, std::ios::binary);
  const unsigned char header[18] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 /*ET_REL*/, 0};
  out.write(reinterpret_cast<const char*>(header), sizeof header);
  out.close();
  ::chmod(object.c_str(), 0644);
  EXPECT_EQ(refusal(object),
            "is an ELF file but not a shared object (e_type 1); rebuild it with "
            "tributary_add_connector()");
}

TEST(loader, RefusesMissingEntrySymbol) {
  TempDir dir;
  auto file = dir.copy(fixture("fixture_missing_entry"), "missing_entry.so");
  EXPECT_EQ(refusal(file),
            "has no entry symbol tributary_connector_entry_v1: it is not a Tributary connector, or "
            "it was built "
            "without TRIBUTARY_CONNECTOR(...); rebuild it with tributary_add_connector()");
}

TEST(loader, RefusesAbiMajorMismatchNamingBothVersionsAndTheFix) {
  TempDir dir;
  auto file = dir.copy(fixture("fixture_abi_major"), "abi_major.so");
  PluginLoader::Outcome out = PluginLoader().load(file);
  ASSERT_TRUE(out.refused);
  EXPECT_EQ(out.refused->reason,
            "was built for connector ABI 2.0, but this host supports ABI 1.1 (the major versions "
            "differ); "
            "rebuild the plugin against TributarySDK 1, or run a Tributary host that supports ABI 2");
  EXPECT_EQ(out.refused->abi, "2.0");
  EXPECT_EQ(out.refused->message(), "plugin " + file.string() + " refused: " + out.refused->reason);
}

TEST(loader, RefusesNewerMinorNamingBothVersionsAndTheFix) {
  TempDir dir;
  auto file = dir.copy(fixture("fixture_abi_minor"), "abi_minor.so");
  PluginLoader::Outcome out = PluginLoader().load(file);
  ASSERT_TRUE(out.refused);
  EXPECT_EQ(out.refused->reason,
            "was built for connector ABI 1.2, newer than this host's ABI 1.1; upgrade Tributary, "
            "or rebuild "
            "the plugin against TributarySDK 1.1");
  EXPECT_EQ(out.refused->name, "tributary.fixture_abi_minor");
  EXPECT_EQ(out.refused->version, "0.0.1");
}

TEST(loader, RefusesUnresolvedSymbolNamingIt) {
  TempDir dir;
  auto file = dir.copy(fixture("fixture_unresolved"), "unresolved.so");
  EXPECT_EQ(refusal(file), "cannot be loaded: " + file.string() +
                               ": undefined symbol: tributary_fixture_symbol_nobody_defines; install the "
                               "missing library, or rebuild the plugin against this machine's libraries");
}

TEST(loader, RefusesMissingDependencyNamingIt) {
  TempDir dir;
  auto file = dir.copy(fixture("fixture_missing_dependency"), "missing_dependency.so");
  EXPECT_EQ(refusal(file),
            "cannot be loaded: libtributary_fixture_missing_dependency.so: cannot open shared object "
            "file: "
            "No such file or directory; install the missing library, or rebuild the plugin against this "
            "machine's libraries");
}

TEST(loader, RefusesPluginWhoseCreateThrows) {
  TempDir dir;
  auto file = dir.copy(fixture("fixture_throwing_create"), "throwing_create.so");
  PluginLoader::Outcome out = PluginLoader().load(file);
  ASSERT_TRUE(out.refused);
  EXPECT_EQ(out.refused->reason,
            "failed its load check: create returned RETRY: fixture: the constructor failed on "
            "purpose; fix "
            "the plugin (create must succeed with only the declared defaults, and do no I/O)");
  EXPECT_EQ(out.refused->name, "tributary.fixture_throwing_create");
}

TEST(loader, RefusesFilesOthersCanWrite) {
  TempDir dir;
  auto file = dir.copy(fixture("fixture_good"), "writable.so", 0666);
  EXPECT_EQ(refusal(file),
            "is writable by group or others (mode 0666), so anyone could replace its code; run: "
            "chmod go-w '" +
                file.string() + "'");
  ::chmod(file.c_str(), 0775);
  EXPECT_EQ(refusal(file),
            "is writable by group or others (mode 0775), so anyone could replace its code; run: "
            "chmod go-w '" +
                file.string() + "'");
}

TEST(loader, RefusesFilesOwnedBySomeoneElse) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a file away";
  TempDir dir;
  auto file = dir.copy(fixture("fixture_good"), "foreign.so");
  ASSERT_EQ(::chown(file.c_str(), 4242, 4242), 0);
  EXPECT_EQ(refusal(file),
            "is owned by uid 4242, neither root nor this host's user (uid 0); run: chown root '" + file.string() + "'");
}

TEST(loader, RefusesWhatIsNotARegularFile) {
  TempDir dir;
  std::filesystem::create_directory(dir.path() / "dir.so");
  EXPECT_EQ(refusal(dir.path() / "dir.so"), "is not a regular file; remove it from the plugins dir");
  EXPECT_EQ(refusal(dir.path() / "absent.so"), "cannot be read: No such file or directory");
}

TEST(loader, FollowsSymlinksToGoodPlugins) {
  TempDir dir;
  auto file = dir.copy(fixture("fixture_good"), "real.so");
  std::filesystem::create_symlink(file, dir.path() / "link.so");
  EXPECT_EQ(refusal(dir.path() / "link.so"), "(loaded)");
}

TEST(loader, PluginChecksSettingsAgainstItsSchema) {
  auto plugin = loadPlugin(examplePlugin());
  EXPECT_FALSE(plugin->checkSetting("page_size", "50"));
  EXPECT_FALSE(plugin->checkSetting("poison_ids", "anything at all"));
  EXPECT_EQ(plugin->checkSetting("page_size", "ten"),
            "setting 'page_size' of tributary.example must be an integer, got \"ten\"");
  EXPECT_EQ(plugin->checkSetting("page_size", ""),
            "setting 'page_size' of tributary.example must be an integer, got \"\"");
  EXPECT_EQ(plugin->checkSetting("pagesize", "10"),
            "unknown setting 'pagesize' for tributary.example (known: seed, records, page_size, "
            "same_timestamp, "
            "generation, poison_ids, future_ids, fail_at_page, fail_mode, fail_stream, crash_at_page, "
            "crash_mode, latency_ms, "
            "check_fail, order, base_url, api_key)");
  EXPECT_TRUE(plugin->missingRequired([](std::string_view) { return false; }).empty());

  auto good = loadPlugin(fixture("fixture_good"));
  EXPECT_EQ(good->checkSetting("nope", "1"),
            "unknown setting 'nope' for tributary.fixture_good (known: greeting, token)");
}

TEST(loader, APluginBuiltAgainstTheOneZeroHeaderLoadsAndSyncsUnchanged) {
  TempDir dir;
  auto plugin = loadPlugin(dir.copy(fixture("fixture_abi_1_0"), "old.so"));
  EXPECT_EQ(plugin->abiString(), "1.0");
  EXPECT_FALSE(plugin->discoversStreams());
  EXPECT_TRUE(plugin->linkTypes().empty());
  EXPECT_TRUE(plugin->actions().empty());
  ASSERT_EQ(plugin->streams().size(), 1u);
  EXPECT_EQ(plugin->streams()[0].flags, 0u);
  auto instance = makeInstance(plugin, {}, {{"token", "t"}});
  RecordingRunServices services;
  SyncRequest request;
  request.stream = "items";
  request.stateJson = "{\"a 1.0 plugin\":\"never reads this\"}";
  CallResult r = instance->sync(SyncMode::Initial, request, services);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(services.ids(), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(services.checkpoints.size(), 1u);
  EXPECT_EQ(services.checkpoints[0].cursorJson, "{\"done\":true}");
}

namespace {

// What a plugin built against the released 1.1 header calls, recorded: each call must arrive here,
// at the function the 1.1 header put at its offset, whatever a later minor appends.
class OneOneServices : public RecordingRunServices {
 public:
  std::string authValue(std::string_view name) override {
    calls.push_back("get_auth_value " + std::string(name));
    return "https://vendor.test";
  }
  void reportRateLimit(std::string_view cls, int64_t remaining, std::optional<int64_t> resetAtMs) override {
    calls.push_back("report_rate_limit " + std::string(cls) + " " + std::to_string(remaining) +
                    (resetAtMs ? " at" : " window"));
  }
  void addRunCounter(std::string_view name, int64_t delta) override {
    calls.push_back("add_run_counter " + std::string(name) + " " + std::to_string(delta));
  }
  void setRunFact(std::string_view name, std::string_view json) override {
    calls.push_back("set_run_fact " + std::string(name) + " " + std::string(json));
  }
  void setStreamState(std::string_view stream, std::string_view json) override {
    calls.push_back("set_stream_state " + std::string(stream) + " " + std::string(json));
  }
  std::vector<std::string> calls;
};

}  // namespace

// tests/plugins/fixtures/abi-1.1/README.md: the frozen header's plugin, read and run field by field.
TEST(loader, APluginBuiltAgainstTheFrozenOneOneHeaderLoadsAndSyncsUnchanged) {
  TempDir dir;
  auto plugin =
      loadPlugin(dir.copy(std::filesystem::path(TRIBUTARY_TEST_ABI_1_1_FIXTURE_DIR) / "fixture_abi_1_1.so", "v11.so"));
  EXPECT_EQ(plugin->name(), "tributary.fixture_abi_1_1");
  EXPECT_EQ(plugin->abiString(), "1.1");
  EXPECT_EQ(plugin->descriptor().struct_size, 184u) << "the released 1.1 descriptor's size";
  ASSERT_EQ(plugin->streams().size(), 1u);
  EXPECT_TRUE(plugin->streams()[0].modificationOrder());
  ASSERT_EQ(plugin->rateLimits().size(), 1u);
  EXPECT_EQ(plugin->rateLimits()[0].name, "rest");
  EXPECT_EQ(plugin->rateLimits()[0].requests, 10u);
  EXPECT_EQ(plugin->rateLimits()[0].perMs, 1000);
  ASSERT_EQ(plugin->httpRules().size(), 2u);
  EXPECT_EQ(plugin->httpRules()[0].action, HttpRuleAction::RefreshAuth);
  EXPECT_EQ(plugin->httpRules()[0].status, 401);
  EXPECT_EQ(plugin->httpRules()[0].errorCode, "INVALID_SESSION_ID");
  EXPECT_EQ(plugin->httpRules()[1].action, HttpRuleAction::Retry);
  EXPECT_EQ(plugin->httpRules()[1].waitMs, 2000);
  ASSERT_EQ(plugin->auths().size(), 2u);
  const AuthDescriptor& oauth = plugin->auths()[0];
  EXPECT_EQ(oauth.type, AuthType::OAuth2);
  EXPECT_TRUE(oauth.pkce);
  EXPECT_TRUE(oauth.clientBasic);
  EXPECT_FALSE(oauth.inQuery);
  EXPECT_EQ(oauth.paramName, "Authorization");
  EXPECT_EQ(oauth.valuePrefix, "Bearer ");
  EXPECT_EQ(oauth.authorizeUrl, "https://vendor.example/oauth/authorize");
  EXPECT_EQ(oauth.tokenUrl, "https://vendor.example/oauth/token");
  EXPECT_EQ(oauth.scopes, "read write");
  EXPECT_EQ(oauth.authorizeParams, "access_type=offline");
  EXPECT_EQ(oauth.description, "OAuth 2.0");
  const AuthDescriptor& key = plugin->auths()[1];
  EXPECT_EQ(key.type, AuthType::ApiKey);
  EXPECT_TRUE(key.inQuery);
  EXPECT_EQ(key.paramName, "api_key");
  EXPECT_EQ(key.valuePrefix, "");

  auto instance = makeInstance(plugin, {});
  OneOneServices services;
  services.httpHandler = [](const tributary::http::HttpRequest&) {
    return tributary::http::HttpResponse{201, {}, "{}"};
  };
  SyncRequest request;
  request.stream = "deals";
  CallResult r = instance->sync(SyncMode::Initial, request, services);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(services.calls, (std::vector<std::string>{"get_auth_value instance_url", "report_rate_limit rest 5 window",
                                                      "add_run_counter searches 1", "set_run_fact search_status 201",
                                                      "set_stream_state deals {\"seen\":1}"}));
  ASSERT_EQ(services.httpRequests.size(), 1u);
  const auto& search = services.httpRequests[0];
  EXPECT_EQ(search.method, "POST");
  EXPECT_EQ(search.url, "https://vendor.test/search");
  EXPECT_EQ(search.body, "{\"q\":\"*\"}");
  EXPECT_TRUE(search.idempotent);
  EXPECT_TRUE(search.noAuth);
  EXPECT_EQ(search.limitClass, "rest");
  EXPECT_EQ(services.ids(), std::vector<std::string>{"d1"});
  ASSERT_EQ(services.checkpoints.size(), 1u);
  EXPECT_EQ(services.checkpoints[0].cursorJson, "{\"done\":true}");
}

TEST(loader, AOneOnePluginInAHostThatKnowsOnlyOneZeroIsRefusedNamingBothVersions) {
  const uint32_t v10 = 1u << 16, v11 = (1u << 16) | 1u;
  EXPECT_EQ(abiRefusal(v11, v10).value_or(""),
            "was built for connector ABI 1.1, newer than this host's ABI 1.0; upgrade Tributary, or rebuild the "
            "plugin against TributarySDK 1.0");
  EXPECT_FALSE(abiRefusal(v10, v11));  // the other way round loads
  EXPECT_FALSE(abiRefusal(v11, v11));
}

namespace {

// The links fixtures, and their descriptors that the loader refuses, in dirs of their own
// (tests/plugins/fixtures/CMakeLists.txt).
std::filesystem::path linkFixture(const std::string& name) {
  return std::filesystem::path(TRIBUTARY_TEST_LINK_FIXTURE_DIR) / (name + ".so");
}
std::filesystem::path refusedLinkFixture(const std::string& name) {
  return std::filesystem::path(TRIBUTARY_TEST_REFUSED_LINK_FIXTURE_DIR) / (name + ".so");
}

}  // namespace

TEST(loader, TheLinksFixturesInCAndInCppLoadWithTheLinkTypesTheyDeclare) {
  for (const std::string name : {"fixture_v11_links_c", "fixture_v11_links_cpp"}) {
    TempDir dir;
    auto plugin = loadPlugin(dir.copy(linkFixture(name), name + ".so"));
    EXPECT_EQ(plugin->name(), "tributary." + name);
    EXPECT_EQ(plugin->abiString(), "1.1");
    ASSERT_EQ(plugin->linkTypes().size(), 3u) << name;
    const LinkTypeDescriptor* dealAccount = plugin->findLinkType("deal_account");
    ASSERT_NE(dealAccount, nullptr);
    EXPECT_EQ(dealAccount->fromEntity, "deals");
    EXPECT_EQ(dealAccount->toEntity, "accounts");
    EXPECT_EQ(dealAccount->column, "account_id");
    EXPECT_EQ(plugin->findLinkType("contact_account")->column, "account_id");
    EXPECT_EQ(plugin->findLinkType("deal_contact")->column, "") << "a link type may own no column";
    EXPECT_EQ(plugin->toJson()["link_types"].size(), 3u);
  }
}

TEST(loader, RefusesALinkTypeToAnUnknownEntityNamingTheTypeAndTheEntity) {
  TempDir dir;
  EXPECT_EQ(refusal(dir.copy(refusedLinkFixture("fixture_v11_links_bad_entity"), "bad.so")),
            "has an invalid descriptor: link type 'deal_owner' links to unknown entity 'users' (known: deals, "
            "contacts, accounts, calls, documents, tasks); fix the plugin");
}

TEST(loader, RefusesALinkTypeOwningANonTextColumnNamingTheColumn) {
  TempDir dir;
  EXPECT_EQ(refusal(dir.copy(refusedLinkFixture("fixture_v11_links_bad_column"), "bad.so")),
            "has an invalid descriptor: link type 'deal_account' owns column 'amount', which is not a text column of "
            "deals (docs/canonical-model.md); fix the plugin");
}

TEST(loader, RefusesALinkTypeOwningAColumnAnotherOneOwns) {
  TempDir dir;
  EXPECT_EQ(refusal(dir.copy(refusedLinkFixture("fixture_v11_links_owned_twice"), "bad.so")),
            "has an invalid descriptor: link type 'deal_primary_account' owns deals.account_id, which another link "
            "type owns; fix the plugin");
}
