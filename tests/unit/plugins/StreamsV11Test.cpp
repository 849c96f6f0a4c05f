// ABI 1.1's stream flags, discovered streams and keys-only records through the real loader and
// host API, with the fixture plugins in plain C and on sdk.hpp (fixture_v11_streams.c / .cpp):
// what the host reads, and every bad input with its exact message. The engine's side (plans, the
// writer, the stored discoveries) is tested against PostgreSQL in tests/integration/engine and
// end to end in tests/e2e/engine/StreamsV11Test.cpp.
#include <gtest/gtest.h>

#include "PluginTestSupport.h"
#include "engine/StreamDiscovery.h"
#include "plugins/PluginLoader.h"

using namespace tributary;
using namespace tributary::plugins;
using namespace tributary::plugins::testing;

namespace {

// Keeps what the recording services drop: each record's flags.
class FlagRecordingServices : public RecordingRunServices {
 public:
  void emitRecord(const RecordView& r) override {
    keysOnly.push_back(r.keysOnly);
    RecordingRunServices::emitRecord(r);
  }
  std::vector<bool> keysOnly;
};

struct StreamsV11 : ::testing::TestWithParam<std::string> {
  TempDir dir;
  std::string lang() const { return GetParam(); }
  std::string name(const std::string& variant = "") const {
    return "tributary.fixture_v11_streams_" + lang() + (variant.empty() ? "" : "_" + variant);
  }
  std::shared_ptr<const ConnectorPlugin> load(const std::string& variant = "") {
    const std::string file = "fixture_v11_streams_" + lang() + (variant.empty() ? "" : "_" + variant);
    return loadPlugin(dir.copy(fixture(file), file + ".so"));
  }
  engine::Discovery discover(std::map<std::string, std::string, std::less<>> settings) {
    auto instance = makeInstance(load(), std::move(settings));
    return engine::StreamDiscovery::run(*instance, [] { return false; });
  }
  std::string discoveryError(std::map<std::string, std::string, std::less<>> settings) {
    auto d = discover(std::move(settings));
    EXPECT_EQ(d.result.code, ResultCode::Fatal) << d.result.message;
    EXPECT_TRUE(d.streams.empty()) << "a failed discovery gives no streams";
    return d.result.message;
  }
};

INSTANTIATE_TEST_SUITE_P(CAndCpp, StreamsV11, ::testing::Values("c", "cpp"),
                         [](const auto& info) { return info.param; });

}  // namespace

TEST_P(StreamsV11, TheLoaderReadsEachDescriptorStreamsFlags) {
  auto p = load("declared");
  EXPECT_FALSE(p->discoversStreams());
  ASSERT_EQ(p->streams().size(), 3u);
  EXPECT_EQ(p->streams()[0].name, "ordered");
  EXPECT_EQ(p->streams()[0].flags, TRIBUTARY_STREAM_MODIFICATION_ORDER);
  EXPECT_TRUE(p->streams()[0].modificationOrder());
  EXPECT_FALSE(p->streams()[0].fullRefreshOnly());
  EXPECT_EQ(p->streams()[1].flags, TRIBUTARY_STREAM_FULL_REFRESH);
  EXPECT_TRUE(p->streams()[1].fullRefreshOnly());
  EXPECT_EQ(p->streams()[2].flags, 0u);
  EXPECT_EQ(p->toJson()["streams"][0]["flags"], nlohmann::json::array({"modification_order"}));
  EXPECT_EQ(p->toJson()["streams"][1]["flags"], nlohmann::json::array({"full_refresh"}));
  EXPECT_TRUE(load()->discoversStreams());
}

TEST_P(StreamsV11, TheLoaderRefusesADescriptorStreamWithAnUnknownFlagBitNamingItAndTheKnownOnes) {
  auto file = dir.copy(fixture("fixture_v11_streams_" + lang() + "_bad_flag"), "bad.so");
  PluginLoader::Outcome out = PluginLoader().load(file);
  ASSERT_FALSE(out.plugin) << "a stream with flag bit 0x4 loaded";
  EXPECT_EQ(out.refused->reason,
            "has an invalid descriptor: stream 'plain' has unknown flag bits 0x4 (known: "
            "TRIBUTARY_STREAM_MODIFICATION_ORDER 0x1, TRIBUTARY_STREAM_FULL_REFRESH 0x2); fix the plugin");
  EXPECT_EQ(out.refused->message(), "plugin " + file.string() + " refused: " + out.refused->reason);
}

TEST_P(StreamsV11, DiscoverDeclaresTheStreamsItFindsWithTheirEntitiesAndFlags) {
  auto d = discover({{"streams", "orders::ordered,people:contacts:ordered+full_refresh,logs"}});
  ASSERT_TRUE(d.result.ok()) << d.result.message;
  EXPECT_TRUE(d.discovered);
  ASSERT_EQ(d.streams.size(), 3u);
  EXPECT_EQ(d.streams[0].name, "orders");
  EXPECT_EQ(d.streams[0].entity, "");
  EXPECT_EQ(d.streams[0].flags, TRIBUTARY_STREAM_MODIFICATION_ORDER);
  EXPECT_EQ(d.streams[1].name, "people");
  EXPECT_EQ(d.streams[1].entity, "contacts");
  EXPECT_EQ(d.streams[1].primaryKey, "id");
  EXPECT_EQ(d.streams[1].cursorField, "updated");
  EXPECT_EQ(d.streams[1].description, "discovered");
  EXPECT_EQ(d.streams[1].flags, TRIBUTARY_STREAM_MODIFICATION_ORDER | TRIBUTARY_STREAM_FULL_REFRESH);
  EXPECT_EQ(d.streams[2].flags, 0u);
}

TEST_P(StreamsV11, ADiscoveryMayFindNoStreamAndOneOfAThousandIsAllowed) {
  auto none = discover({{"streams", ""}});
  ASSERT_TRUE(none.result.ok()) << none.result.message;
  EXPECT_TRUE(none.streams.empty());
  auto many = discover({{"streams", ""}, {"many", "1000"}});
  ASSERT_TRUE(many.result.ok()) << many.result.message;
  EXPECT_EQ(many.streams.size(), 1000u);
}

TEST_P(StreamsV11, APluginWithoutADiscoverHookHasItsDeclaredStreams) {
  auto instance = makeInstance(load("declared"), {{"streams", "ignored"}});
  auto d = engine::StreamDiscovery::run(*instance, [] { return false; });
  ASSERT_TRUE(d.result.ok());
  EXPECT_FALSE(d.discovered);
  ASSERT_EQ(d.streams.size(), 3u);
  EXPECT_EQ(d.streams[1].name, "whole");
  EXPECT_EQ(d.streams[1].flags, TRIBUTARY_STREAM_FULL_REFRESH);
}

TEST_P(StreamsV11, EveryBadDiscoveredStreamFailsTheDiscoveryWithItsExactMessage) {
  EXPECT_EQ(discoveryError({{"streams", "orders,Bad-Name"}}),
            "declare_stream: discovered stream 1 has the name 'Bad-Name', which is not lowercase [a-z0-9_]");
  EXPECT_EQ(discoveryError({{"streams", "orders:people"}}),
            "declare_stream: discovered stream 'orders' maps to unknown entity 'people' (known: deals, contacts, "
            "accounts, calls, documents, tasks, or \"\")");
  EXPECT_EQ(discoveryError({{"streams", "orders::0x5"}}),
            "declare_stream: discovered stream 'orders' has unknown flag bits 0x4 (known: "
            "TRIBUTARY_STREAM_MODIFICATION_ORDER 0x1, TRIBUTARY_STREAM_FULL_REFRESH 0x2)");
  EXPECT_EQ(discoveryError({{"streams", "orders,logs,orders"}}),
            "declare_stream: discovered stream 'orders' is declared twice; stream names are unique within a "
            "connection");
  EXPECT_EQ(discoveryError({{"streams", ""}, {"many", "1001"}}),
            "declare_stream: discovered stream 's1000' is one too many (at most 1000 streams)");
}

TEST_P(StreamsV11, ADiscoverHookThatEmitsARecordFailsNamingWhatItCalled) {
  EXPECT_EQ(discoveryError({{"discover_emits", "1"}}),
            "plugin called emit_record during discover, where it is not available; fix the plugin");
}

TEST_P(StreamsV11, KeysOnlyRecordsReachTheHostAsKeysOnly) {
  auto instance = makeInstance(load(), {{"ids", "a"}, {"keys", "b,c"}});
  FlagRecordingServices services;
  SyncRequest request;
  request.stream = "whole";
  CallResult r = instance->sync(SyncMode::Initial, request, services);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(services.ids(), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(services.keysOnly, (std::vector<bool>{false, true, true}));
  EXPECT_EQ(services.records[1].fieldsJson, "");
  EXPECT_EQ(services.records[1].rawJson, "");
}

TEST_P(StreamsV11, AKeysOnlyRecordMarkedDeletedOrWithAnUnknownBitFailsTheCallNamingTheRecord) {
  SyncRequest request;
  request.stream = "whole";
  {
    auto instance = makeInstance(load(), {{"ids", ""}, {"keys", "k1"}, {"extra_flags", "1"}});
    FlagRecordingServices services;
    CallResult r = instance->sync(SyncMode::Initial, request, services);
    EXPECT_EQ(r.code, ResultCode::Fatal);
    EXPECT_EQ(r.message,
              "record 'k1' of stream 'whole' is both KEYS_ONLY and DELETED; a keys-only record says the row still "
              "exists");
    EXPECT_TRUE(services.records.empty());
  }
  {
    auto instance = makeInstance(load(), {{"ids", "a"}, {"extra_flags", "8"}});
    FlagRecordingServices services;
    CallResult r = instance->sync(SyncMode::Initial, request, services);
    EXPECT_EQ(r.code, ResultCode::Fatal);
    EXPECT_EQ(r.message,
              "record 'a' of stream 'whole' has unknown flag bits 0x8 (known: TRIBUTARY_RECORD_DELETED 0x1, "
              "TRIBUTARY_RECORD_KEYS_ONLY 0x2)");
  }
}
