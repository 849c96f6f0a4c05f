// Actions (ABI 1.1, issue 14 item 8) through the loader: the fixtures' declared actions as the
// host reads them, every bad body refused with its exact message before the plugin sees it
// (plugins::ActionBody, shared by the CLI and the worker), the descriptor checks for actions,
// and the action hook called through ConnectorInstance. Each test runs against the plain C
// fixture and the C++ SDK one.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "PluginTestSupport.h"
#include "plugins/ActionBody.h"
#include "plugins/DescriptorReader.h"

namespace tributary::plugins {
namespace {

using testing::loadPlugin;
using testing::makeInstance;

std::filesystem::path actionsFixture(const std::string& lang) {
  return testing::fixtureDir().parent_path() / "fixture-plugins-actions" / ("fixture_v11_actions_" + lang + ".so");
}

// What an action hook may use of the host, as a worker offers it: its result, counters and
// facts; the sync services are not available.
class ActionCallServices : public RunServices {
 public:
  void emitRecord(const RecordView&) override { throw NotAvailable(); }
  void emitRecordError(const RecordErrorView&) override { throw NotAvailable(); }
  void commitCheckpoint(std::string_view, std::string_view) override { throw NotAvailable(); }
  void reportProgress(int64_t, int64_t, std::string_view) override {}
  bool isCancelled() override { return false; }
  void setActionResult(std::string_view json) override { result = std::string(json); }
  void addRunCounter(std::string_view name, int64_t delta) override { counters[std::string(name)] += delta; }
  void setRunFact(std::string_view name, std::string_view json) override {
    facts[std::string(name)] = std::string(json);
  }
  std::optional<std::string> result;
  std::map<std::string, int64_t> counters;
  std::map<std::string, std::string> facts;
};

class ActionBodyTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { plugin = loadPlugin(actionsFixture(GetParam())); }
  std::string name() const { return "tributary.fixture_v11_actions_" + GetParam(); }
  // The one message of a body that must be refused.
  std::string refusal(std::string_view action, std::string_view body) {
    auto checked = ActionBody::check(*plugin, action, body);
    EXPECT_FALSE(checked.ok()) << body;
    return checked.message();
  }
  std::shared_ptr<const ConnectorPlugin> plugin;
};

INSTANTIATE_TEST_SUITE_P(Fixture, ActionBodyTest, ::testing::Values("c", "cpp"),
                         [](const auto& info) { return info.param; });

TEST_P(ActionBodyTest, TheLoaderReadsEachActionItsFlagsAndItsTypedBodyFields) {
  ASSERT_EQ(plugin->actions().size(), 5u);
  std::vector<std::string> names;
  for (const auto& a : plugin->actions()) names.push_back(a.name);
  EXPECT_EQ(names, (std::vector<std::string>{"echo", "send", "ping", "fetch", "sleep"}));
  const ActionDescriptor& echo = *plugin->findAction("echo");
  EXPECT_TRUE(echo.idempotent);
  EXPECT_EQ(echo.description, "Echo the body back");
  ASSERT_EQ(echo.body.size(), 4u);
  EXPECT_EQ(echo.body[0].key, "note");
  EXPECT_EQ(echo.body[0].type, ConfigType::String);
  EXPECT_TRUE(echo.body[0].required);
  EXPECT_FALSE(echo.body[0].defaultValue);
  EXPECT_EQ(echo.body[1].key, "count");
  EXPECT_EQ(echo.body[1].type, ConfigType::Integer);
  EXPECT_EQ(echo.body[1].defaultValue, "1");
  EXPECT_EQ(echo.body[2].type, ConfigType::Number);
  EXPECT_EQ(echo.body[3].type, ConfigType::Boolean);
  EXPECT_FALSE(plugin->findAction("send")->idempotent);
  EXPECT_TRUE(plugin->findAction("ping")->body.empty());

  // What a probe reports, read back, is the same (the CLI knows actions only this way).
  auto back = ConnectorPlugin::fromJson(plugin->toJson());
  EXPECT_EQ(back->toJson()["actions"], plugin->toJson()["actions"]);
  EXPECT_FALSE(back->findAction("send")->idempotent);
}

TEST_P(ActionBodyTest, AppliesTypedDefaultsInTheDeclaredOrder) {
  auto checked = ActionBody::check(*plugin, "echo", R"({"loud": true, "note": "hi"})");
  ASSERT_TRUE(checked.ok()) << checked.message();
  EXPECT_EQ(checked.body().dump(), R"({"note":"hi","count":1,"ratio":0.5,"loud":true})");
  checked = ActionBody::check(*plugin, "send", R"({"to": "ops"})");
  ASSERT_TRUE(checked.ok()) << checked.message();
  EXPECT_EQ(checked.body().dump(), R"({"to":"ops","text":""})");
  checked = ActionBody::check(*plugin, "ping", "{}");
  ASSERT_TRUE(checked.ok()) << checked.message();
  EXPECT_EQ(checked.body().dump(), "{}");
  // Integers are numbers too; a large integer stays exact.
  checked = ActionBody::check(*plugin, "echo", R"({"note": "x", "count": 9223372036854775807, "ratio": 2})");
  ASSERT_TRUE(checked.ok()) << checked.message();
  EXPECT_EQ(checked.body().dump(), R"({"note":"x","count":9223372036854775807,"ratio":2,"loud":false})");
}

TEST_P(ActionBodyTest, RefusesAnUnknownFieldNamingTheKnownOnes) {
  EXPECT_EQ(refusal("echo", R"({"note": "hi", "nots": 1})"),
            "action 'echo' of " + name() +
                " has no body field 'nots' (did you mean \"note\"?; known: note, count, ratio, loud)");
  EXPECT_EQ(refusal("echo", R"({"note": "hi", "zzzzzz": 1})"),
            "action 'echo' of " + name() + " has no body field 'zzzzzz' (known: note, count, ratio, loud)");
  EXPECT_EQ(refusal("ping", R"({"x": 1})"),
            "action 'ping' of " + name() + " has no body field 'x' (it takes no body fields)");
}

TEST_P(ActionBodyTest, RefusesAMissingRequiredFieldNamingItsType) {
  EXPECT_EQ(refusal("echo", "{}"), "missing required body field 'note' (a string) of action 'echo' of " + name());
  EXPECT_EQ(refusal("send", R"({"text": "hello"})"),
            "missing required body field 'to' (a string) of action 'send' of " + name());
}

TEST_P(ActionBodyTest, RefusesAValueOfTheWrongJsonType) {
  const std::string of = " of action 'echo' of " + name();
  EXPECT_EQ(refusal("echo", R"({"note": 42})"), "body field 'note'" + of + " must be a string, got 42 (a number)");
  EXPECT_EQ(refusal("echo", R"({"note": "x", "count": "ten"})"),
            "body field 'count'" + of + " must be an integer, got \"ten\" (a string)");
  EXPECT_EQ(refusal("echo", R"({"note": "x", "count": "3"})"),
            "body field 'count'" + of + " must be an integer, got \"3\" (a string)");
  // An integer is an integral JSON number, written as one.
  EXPECT_EQ(refusal("echo", R"({"note": "x", "count": 1.5})"),
            "body field 'count'" + of + " must be an integer, got 1.5 (a number)");
  EXPECT_EQ(refusal("echo", R"({"note": "x", "count": 2.0})"),
            "body field 'count'" + of + " must be an integer, got 2.0 (a number)");
  EXPECT_EQ(refusal("echo", R"({"note": "x", "count": 1e3})"),
            "body field 'count'" + of + " must be an integer, got 1000.0 (a number)");
  EXPECT_EQ(refusal("echo", R"({"note": "x", "count": 9223372036854775808})"),
            "body field 'count'" + of +
                " must be an integer from -9223372036854775808 to 9223372036854775807, got 9223372036854775808 (a "
                "number)");
  EXPECT_EQ(refusal("echo", R"({"note": "x", "ratio": "0.5"})"),
            "body field 'ratio'" + of + " must be a number, got \"0.5\" (a string)");
  EXPECT_EQ(refusal("echo", R"({"note": "x", "loud": "yes"})"),
            "body field 'loud'" + of + " must be a boolean (true or false), got \"yes\" (a string)");
  EXPECT_EQ(refusal("echo", R"({"note": "x", "loud": 1})"),
            "body field 'loud'" + of + " must be a boolean (true or false), got 1 (a number)");
  EXPECT_EQ(refusal("echo", R"({"note": ["a"]})"), "body field 'note'" + of + " must be a string, got an array");
  EXPECT_EQ(refusal("echo", R"({"note": {"a": 1}})"), "body field 'note'" + of + " must be a string, got an object");
  // null is no value: a required field must have one, an optional one is left out instead.
  EXPECT_EQ(refusal("echo", R"({"note": null})"), "body field 'note'" + of + " must be a string, got null");
  EXPECT_EQ(refusal("echo", R"({"note": "x", "count": null})"),
            "body field 'count'" + of + " must be an integer, got null (leave the field out for its default, 1)");
}

TEST_P(ActionBodyTest, RefusesABodyThatIsNotAJsonObject) {
  const std::string prefix = "the body of action 'echo' of " + name();
  EXPECT_EQ(refusal("echo", "[]"), prefix + " must be a JSON object ({\"field\": value, ...}), got an array");
  EXPECT_EQ(refusal("echo", R"("note")"),
            prefix + " must be a JSON object ({\"field\": value, ...}), got \"note\" (a string)");
  EXPECT_EQ(refusal("echo", "null"), prefix + " must be a JSON object ({\"field\": value, ...}), got null");
  EXPECT_EQ(refusal("echo", "7"), prefix + " must be a JSON object ({\"field\": value, ...}), got 7 (a number)");
  // A job's payload, parsed already, is checked the same way.
  EXPECT_EQ(ActionBody::checkValue(*plugin, "echo", Json::array()).message(),
            prefix + " must be a JSON object ({\"field\": value, ...}), got an array");
}

TEST_P(ActionBodyTest, RefusesTextThatIsNotJson) {
  EXPECT_EQ(refusal("echo", "{note: 1}"),
            "the body of action 'echo' of " + name() +
                " is not valid JSON: parse error at line 1, column 3: syntax error while parsing object key - invalid "
                "literal; last read: '{no'; expected string literal");
  EXPECT_EQ(
      refusal("echo", ""),
      "the body of action 'echo' of " + name() +
          " is not valid JSON: parse error at line 1, column 1: syntax error while parsing value - unexpected end "
          "of input; expected '[', '{', or a literal");
}

TEST_P(ActionBodyTest, RefusesAFieldGivenTwice) {
  EXPECT_EQ(refusal("echo", R"({"note": "a", "note": "b"})"),
            "body field 'note' of action 'echo' of " + name() + " is given twice");
}

TEST_P(ActionBodyTest, RefusesAStringHoldingNul) {
  EXPECT_EQ(refusal("echo", R"({"note": "a\u0000b"})"),
            "body field 'note' of action 'echo' of " + name() +
                " holds a NUL character (\\u0000), which PostgreSQL cannot store");
}

TEST_P(ActionBodyTest, RefusesABodyOverItsSizeLimit) {
  const std::string big = R"({"note": ")" + std::string(ActionBody::kMaxBytes, 'x') + "\"}";
  EXPECT_EQ(refusal("echo", big), "the body of action 'echo' of " + name() + " is " + std::to_string(big.size()) +
                                      " bytes of JSON (at most 262144)");
}

TEST_P(ActionBodyTest, RefusesAnUnknownActionWithASuggestion) {
  EXPECT_EQ(refusal("ech", "{}"),
            "unknown action 'ech' for " + name() + " (did you mean \"echo\"?; known: echo, send, ping, fetch, sleep)");
  EXPECT_EQ(refusal("delete_everything", "{}"),
            "unknown action 'delete_everything' for " + name() + " (known: echo, send, ping, fetch, sleep)");
  // A plugin with no actions says so.
  auto example = loadPlugin(testing::examplePlugin());
  EXPECT_EQ(ActionBody::check(*example, "echo", "{}").message(),
            "unknown action 'echo' for tributary.example (it has no actions)");
}

TEST_P(ActionBodyTest, ReportsEveryProblemOfABodyAtOnce) {
  auto checked = ActionBody::check(*plugin, "echo", R"({"nots": 1, "count": "x", "loud": 0})");
  ASSERT_FALSE(checked.ok());
  const std::string of = " of action 'echo' of " + name();
  EXPECT_EQ(checked.problems(),
            (std::vector<std::string>{
                "action 'echo' of " + name() +
                    " has no body field 'nots' (did you mean \"note\"?; known: note, count, ratio, loud)",
                "missing required body field 'note' (a string)" + of,
                "body field 'count'" + of + " must be an integer, got \"x\" (a string)",
                "body field 'loud'" + of + " must be a boolean (true or false), got 0 (a number)"}));
  EXPECT_TRUE(checked.body().is_null());
}

// The hook itself, through the real loader and instance: what it sets is what the host gets.
TEST_P(ActionBodyTest, TheActionHookGetsTheCheckedBodyAndSetsItsResult) {
  auto instance = makeInstance(plugin, {});
  ActionCallServices services;
  auto checked = ActionBody::check(*plugin, "echo", R"({"note": "hi"})");
  ASSERT_TRUE(checked.ok());
  CallResult r = instance->action({"echo", checked.body().dump()}, services);
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_TRUE(services.result);
  EXPECT_EQ(nlohmann::json::parse(*services.result),
            nlohmann::json::parse(R"({"action":"echo","body":{"note":"hi","count":1,"ratio":0.5,"loud":false}})"));
  EXPECT_EQ(services.counters, (std::map<std::string, int64_t>{{"echo.calls", 1}}));
  EXPECT_EQ(services.facts.at("body_bytes"), std::to_string(checked.body().dump().size()));

  // OK with no result set: none.
  ActionCallServices none;
  r = instance->action({"ping", "{}"}, none);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_FALSE(none.result);

  // An action it does not declare never reaches the plugin.
  r = instance->action({"ech", "{}"}, none);
  EXPECT_EQ(r.code, ResultCode::Fatal);
  EXPECT_EQ(r.message,
            "unknown action 'ech' for " + name() + " (did you mean \"echo\"?; known: echo, send, ping, fetch, sleep)");
}

TEST_P(ActionBodyTest, AnActionThatCallsASyncServiceOrSetsNoJsonFails) {
  ActionCallServices services;
  auto misuse = makeInstance(plugin, {{"fail", "misuse"}});
  CallResult r = misuse->action({"echo", R"({"note":"x"})"}, services);
  EXPECT_EQ(r.code, ResultCode::Fatal);
  EXPECT_EQ(r.message, std::string("plugin called ") + (GetParam() == "c" ? "emit_record" : "commit_checkpoint") +
                           " during action, where it is not available; fix the plugin");
  auto bad = makeInstance(plugin, {{"fail", "bad_result"}});
  r = bad->action({"echo", R"({"note":"x"})"}, services);
  EXPECT_EQ(r.code, ResultCode::Fatal);
  EXPECT_EQ(r.message, "set_action_result: the result is not JSON text: 'not json'");
  EXPECT_FALSE(services.result);
}

// The descriptor checks for actions, each with its message: the loader refuses such a plugin.
class ActionDescriptorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    plugin = loadPlugin(actionsFixture("c"));
    d = plugin->descriptor();
    for (uint32_t i = 0; i < d.action_count; ++i) actions.push_back(d.actions[i]);
    body.assign(d.actions[0].body_keys, d.actions[0].body_keys + d.actions[0].body_key_count);
    actions[0].body_keys = body.data();
  }
  std::string validate() {
    d.actions = actions.data();
    d.action_count = static_cast<uint32_t>(actions.size());
    return DescriptorReader(d).validate();
  }
  std::shared_ptr<const ConnectorPlugin> plugin;
  tributary_connector_v1 d{};
  std::vector<tributary_action_v1> actions;
  std::vector<tributary_config_key_v1> body;
};

TEST_F(ActionDescriptorTest, TheFixtureIsValid) { EXPECT_EQ(validate(), ""); }

TEST_F(ActionDescriptorTest, RefusesADefaultThatIsNotOfItsFieldsType) {
  body[1].default_value = "ten";
  EXPECT_EQ(validate(), "action 'echo' body field 'count' has the default \"ten\", which is not an integer");
  body[1].default_value = "1";
  body[2].default_value = "half";
  EXPECT_EQ(validate(), "action 'echo' body field 'ratio' has the default \"half\", which is not a number");
  body[2].default_value = "0.5";
  body[3].default_value = "maybe";
  EXPECT_EQ(validate(),
            "action 'echo' body field 'loud' has the default \"maybe\", which is not a boolean (true or false)");
}

TEST_F(ActionDescriptorTest, RefusesDuplicatesSecretsBadTypesFlagsAndReservedBits) {
  actions[1].name = "echo";
  EXPECT_EQ(validate(), "action 'echo' is declared twice");
  actions[1].name = "Send";
  EXPECT_EQ(validate(), "action 1 has the name 'Send', which is not lowercase [a-z0-9_]");
  actions[1].name = "send";
  actions[1].flags = 0x4;
  EXPECT_EQ(validate(), "action 'send' has unknown flag bits 0x4 (known: TRIBUTARY_ACTION_IDEMPOTENT 0x1)");
  actions[1].flags = 0;
  actions[1].reserved = 7;
  EXPECT_EQ(validate(), "action 'send' has reserved 0x7 (reserved: 0)");
  actions[1].reserved = 0;
  body[0].flags |= TRIBUTARY_CONFIG_SECRET;
  EXPECT_EQ(validate(), "action 'echo' body field 'note' is marked SECRET, which an action body cannot be");
  body[0].flags = TRIBUTARY_CONFIG_REQUIRED;
  body[1].key = "note";
  EXPECT_EQ(validate(), "action 'echo' body field 'note' is declared twice");
  body[1].key = "count";
  body[1].type = 9;
  EXPECT_EQ(validate(), "action 'echo' body field 'count' has unknown type 9");
  body[1].type = TRIBUTARY_CONFIG_INTEGER;
  d.action = nullptr;
  EXPECT_EQ(validate(), "it declares actions but its action hook is NULL");
}

}  // namespace
}  // namespace tributary::plugins
